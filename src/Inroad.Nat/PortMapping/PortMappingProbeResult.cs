namespace Inroad.Nat.PortMapping;

/// <summary>Which port-mapping protocols the gateway answered (empty ⇒ none).</summary>
/// <param name="Gateway">The gateway asked, or null when none was found.</param>
/// <param name="Available">The protocols that answered, in our order of preference.</param>
public sealed record PortMappingProbeResult(System.Net.IPAddress? Gateway, IReadOnlyList<PortMappingProtocol> Available)
{
    /// <summary>True when at least one protocol answered.</summary>
    public bool Any => Available.Count > 0;
}
