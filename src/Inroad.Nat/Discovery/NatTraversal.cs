namespace Inroad.Nat.Discovery;

/// <summary>How hard a peer is to reach (design §4.3, the snowflake classes).</summary>
public enum NatTraversal
{
    /// <summary>No NAT, full cone or (address-)restricted cone; or any NAT with a port mapping.</summary>
    Unlimited,

    /// <summary>Port-restricted cone (EIM with address-and-port-dependent filtering).</summary>
    PartiallyLimited,

    /// <summary>Symmetric, or unknown.</summary>
    StrictlyLimited,
}
