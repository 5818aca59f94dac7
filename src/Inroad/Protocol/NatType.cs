namespace Inroad.Protocol;

/// <summary>NAT mapping or filtering behaviour (RFC 4787 terms), as the wire enum.</summary>
internal enum NatBehavior : byte
{
    /// <summary>Not discovered.</summary>
    Unknown = 0,

    /// <summary>Endpoint-independent.</summary>
    EndpointIndependent = 1,

    /// <summary>Address-dependent.</summary>
    AddressDependent = 2,

    /// <summary>Address- and port-dependent.</summary>
    AddressPortDependent = 3,
}

/// <summary>
/// The wire NAT type: <c>mapping &lt;&lt; 2 | filtering</c> (0..15). A value above 15 from the network
/// is treated as unknown.
/// </summary>
internal readonly record struct NatType(NatBehavior Mapping, NatBehavior Filtering)
{
    /// <summary>Unknown mapping and filtering.</summary>
    public static NatType Unknown => default;

    /// <summary>The pseudo-type assumed for an unknown NAT on a mobile network (carrier-grade NAT).</summary>
    public static NatType Mobile => new(NatBehavior.AddressPortDependent, NatBehavior.AddressPortDependent);

    /// <summary>The wire integer.</summary>
    public int ToWire() => ((int)Mapping << 2) | (int)Filtering;

    /// <summary>From the wire integer; out-of-range values are unknown.</summary>
    public static NatType FromWire(long value) =>
        value is < 0 or > 15 ? Unknown : new NatType((NatBehavior)((value >> 2) & 3), (NatBehavior)(value & 3));

    /// <summary>
    /// Traversal class: EI mapping with non-APD filtering is unlimited (full or restricted cone); EI with
    /// APD filtering is partially limited (port-restricted cone); anything else, unknown included, is
    /// strictly limited (symmetric).
    /// </summary>
    public NatTraversalClass TraversalClass =>
        Mapping != NatBehavior.EndpointIndependent ? NatTraversalClass.StrictlyLimited
        : Filtering == NatBehavior.AddressPortDependent ? NatTraversalClass.PartiallyLimited
        : NatTraversalClass.Unlimited;

    /// <summary>
    /// The type used for matching: any port mapping makes the peer reachable (unlimited); an unknown NAT
    /// on a mobile network is assumed to be carrier-grade (symmetric); otherwise the reported type.
    /// </summary>
    public static NatType Effective(NatType reported, bool hasPortMapping, NetworkType network)
    {
        if (hasPortMapping)
        {
            return new NatType(NatBehavior.EndpointIndependent, NatBehavior.EndpointIndependent);
        }

        return reported == Unknown && network == NetworkType.Mobile ? Mobile : reported;
    }

    public override string ToString() => $"Mapping{Mapping}/Filtering{Filtering}";
}
