namespace Inroad.Network;

/// <summary><c>"portMapping"</c> in proxy.json and client.json: <c>{ "enabled": true, "gateway": "192.168.1.1" }</c>.</summary>
internal sealed class PortMappingConfig
{
    /// <summary>Whether to ask the gateway for a port mapping per peer connection. Defaults to true.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>The gateway (IPv4); null reads the default gateway. Defaults to null.</summary>
    public string? Gateway { get; set; }
}
