namespace Inroad.Nat.Discovery;

/// <summary>RFC 4787 mapping behaviour. Values match the broker API (design §4.3).</summary>
public enum NatMapping
{
    /// <summary>Not known (not tested, or the test failed).</summary>
    Unknown = 0,

    /// <summary>Endpoint-independent (or no NAT).</summary>
    EndpointIndependent = 1,

    /// <summary>Address-dependent.</summary>
    AddressDependent = 2,

    /// <summary>Address-and-port-dependent ("symmetric").</summary>
    AddressPortDependent = 3,
}
