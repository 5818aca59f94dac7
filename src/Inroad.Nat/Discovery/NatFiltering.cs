namespace Inroad.Nat.Discovery;

/// <summary>RFC 4787 filtering behaviour. Values match the broker API (design §4.3).</summary>
public enum NatFiltering
{
    /// <summary>Not known (not tested, or the test failed).</summary>
    Unknown = 0,

    /// <summary>Endpoint-independent (or no filtering).</summary>
    EndpointIndependent = 1,

    /// <summary>Address-dependent.</summary>
    AddressDependent = 2,

    /// <summary>Address-and-port-dependent.</summary>
    AddressPortDependent = 3,
}
