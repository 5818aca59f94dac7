namespace Inroad.Network;

/// <summary><c>"natDiscovery"</c> in proxy.json and client.json: <c>{ "enabled": true, "stunServers": ["host:port"] }</c>.</summary>
internal sealed class NatDiscoveryConfig
{
    /// <summary>Whether to discover the NAT type in the background for the metrics. Defaults to true.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>RFC 5780 STUN servers; null uses the embedded configuration's <c>natDiscoveryStunServers</c>. Defaults to null.</summary>
    public List<string>? StunServers { get; set; }
}
