namespace Inroad.Nat.Discovery;

/// <summary>A NAT's mapping and filtering behaviour, packed as <c>mapping &lt;&lt; 2 | filtering</c> on the wire (design §4.3).</summary>
public readonly record struct NatType(NatMapping Mapping, NatFiltering Filtering)
{
    /// <summary>Unknown mapping and filtering.</summary>
    public static NatType Unknown => default;

    /// <summary>What a port mapping makes of any NAT: reachable from anywhere.</summary>
    public static NatType Open => new(NatMapping.EndpointIndependent, NatFiltering.EndpointIndependent);

    /// <summary>The "mobile network" pseudo-type the broker assumes for an unknown NAT on mobile data (CGNAT).</summary>
    public static NatType AssumedCgnat => new(NatMapping.AddressPortDependent, NatFiltering.AddressPortDependent);

    /// <summary>The packed form 0..15.</summary>
    public int Packed => ((int)Mapping << 2) | (int)Filtering;

    /// <summary>True when either half is unknown.</summary>
    public bool IsUnknown => Mapping == NatMapping.Unknown || Filtering == NatFiltering.Unknown;

    /// <summary>The traversal class (see <see cref="NatTypeRules.Traversal"/>).</summary>
    public NatTraversal Traversal => NatTypeRules.Traversal(this);

    /// <summary>Unpacks; false for values outside 0..15.</summary>
    public static bool TryFromPacked(int packed, out NatType type)
    {
        type = default;
        if (packed is < 0 or > 15)
        {
            return false;
        }

        type = new NatType((NatMapping)(packed >> 2), (NatFiltering)(packed & 3));
        return true;
    }

    /// <summary>"MappingX/FilteringY", e.g. "EndpointIndependent/AddressPortDependent".</summary>
    public override string ToString() => $"{Mapping}/{Filtering}";
}
