namespace Inroad.Testing.NetLab;

/// <summary>RFC 4787 behaviour of a lab NAT router (mapping / filtering).</summary>
public enum NatBehavior
{
    /// <summary>Endpoint-independent mapping and filtering ("full cone").</summary>
    FullCone,

    /// <summary>Endpoint-independent mapping, address-dependent filtering.</summary>
    Restricted,

    /// <summary>Endpoint-independent mapping, address-and-port-dependent filtering ("port restricted").</summary>
    PortRestricted,

    /// <summary>Address-and-port-dependent mapping and filtering ("symmetric").</summary>
    Symmetric,
}
