namespace Inroad.Protocol;

/// <summary>How hard a peer is to reach through its NAT; the matcher prefers pairs that will connect.</summary>
internal enum NatTraversalClass : byte
{
    /// <summary>No NAT, full cone or restricted cone, or a port mapping.</summary>
    Unlimited = 0,

    /// <summary>Port-restricted cone.</summary>
    PartiallyLimited = 1,

    /// <summary>Symmetric, carrier-grade or unknown.</summary>
    StrictlyLimited = 2,
}
