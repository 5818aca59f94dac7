namespace Inroad.Server;

/// <summary>
/// What the server logs once per in-proxy tunnel (<c>server_tunnel</c>): who relayed it, where the client is
/// (from the broker-reported address, never the proxy's), how much moved and for how long. The client's IP
/// address itself is not kept.
/// </summary>
internal sealed record ServerTunnelRecord
{
    public required string ConnectionId { get; init; }

    public required string ProxyId { get; init; }

    public required string BrokerId { get; init; }

    public string ClientRegion { get; init; } = "";

    public uint ClientAsn { get; init; }

    public string ClientNatType { get; init; } = "";

    public string ProxyNatType { get; init; } = "";

    /// <summary>The port-mapping protocols the proxy announced (PortMappingType names joined by '+'), or "none".</summary>
    public string ProxyPortMapping { get; init; } = "none";

    public string ProxyDtlsFingerprint { get; init; } = "";

    public bool MatchedPersonalCompartment { get; init; }

    /// <summary>True when the broker-observed proxy address equals the TCP peer the server sees.</summary>
    public bool ProxyAddressMatches { get; init; }

    /// <summary>Bytes from client to server (tunnel wire bytes, TCP payload).</summary>
    public long BytesUp { get; init; }

    /// <summary>Bytes from server to client.</summary>
    public long BytesDown { get; init; }

    public int Streams { get; init; }

    public TimeSpan Duration { get; init; }

    /// <summary>The tunnel met the proxy quality targets and its proxy was reported (false when reporting is off).</summary>
    public bool ProxyQuality { get; init; }
}
