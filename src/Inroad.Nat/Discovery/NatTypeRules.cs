namespace Inroad.Nat.Discovery;

/// <summary>
/// Pure rules on NAT types (design §4.3), kept here so the broker and the proxy apply the same ones:
/// the traversal class, and the effective type used in matching (port mapping ⇒ open; unknown on a
/// mobile network ⇒ assumed carrier-grade NAT, i.e. symmetric).
/// </summary>
public static class NatTypeRules
{
    /// <summary>EIM with any filtering but APD (unknown included, as the design says) ⇒ unlimited; EIM with APD filtering ⇒ partially; anything else, unknown included ⇒ strictly.</summary>
    public static NatTraversal Traversal(NatType type) => type switch
    {
        { Mapping: NatMapping.EndpointIndependent, Filtering: not NatFiltering.AddressPortDependent } => NatTraversal.Unlimited,
        { Mapping: NatMapping.EndpointIndependent, Filtering: NatFiltering.AddressPortDependent } => NatTraversal.PartiallyLimited,
        _ => NatTraversal.StrictlyLimited,
    };

    /// <summary>The type a peer is matched as: any port mapping ⇒ <see cref="NatType.Open"/>; unknown on mobile ⇒ <see cref="NatType.AssumedCgnat"/>; else as reported.</summary>
    public static NatType Effective(NatType reported, bool hasPortMapping, NetworkType network)
    {
        if (hasPortMapping)
        {
            return NatType.Open;
        }

        if (reported.IsUnknown && network == NetworkType.Mobile)
        {
            return NatType.AssumedCgnat;
        }

        return reported;
    }

    /// <summary>The traversal class of the effective type.</summary>
    public static NatTraversal EffectiveTraversal(NatType reported, bool hasPortMapping, NetworkType network) =>
        Traversal(Effective(reported, hasPortMapping, network));
}
