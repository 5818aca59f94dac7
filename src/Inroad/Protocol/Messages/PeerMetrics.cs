using System.Formats.Cbor;
using Inroad.Sessions.Records;

namespace Inroad.Protocol.Messages;

/// <summary>
/// ProxyMetrics / ClientMetrics (design §2.2): 1 base parameters, 2 protocol version, 3 NAT type,
/// 4 port mapping types; proxies add 6 max common clients, 7 connecting, 8 connected, 9–12 byte rates,
/// 13 max personal clients. Clients leave the proxy fields zero (omitted).
/// </summary>
internal sealed record PeerMetrics
{
    public ApiParameters Parameters { get; init; } = new();

    public int ProtocolVersion { get; init; }

    public NatType NatType { get; init; }

    public IReadOnlyList<int> PortMappingTypes { get; init; } = [];

    public int MaxCommonClients { get; init; }

    public int ConnectingClients { get; init; }

    public int ConnectedClients { get; init; }

    public long LimitUpstreamBytesPerSecond { get; init; }

    public long LimitDownstreamBytesPerSecond { get; init; }

    public long PeakUpstreamBytesPerSecond { get; init; }

    public long PeakDownstreamBytesPerSecond { get; init; }

    public int MaxPersonalClients { get; init; }

    /// <summary>The NAT type used for matching (port mapping ⇒ unlimited; unknown on mobile ⇒ CGNAT).</summary>
    public NatType EffectiveNatType => NatType.Effective(NatType, PortMappingTypes.Count > 0, Parameters.NetworkType);

    public void WriteCbor(CborWriter writer)
    {
        writer.WriteStartMap(null);
        writer.WriteInt32(1);
        Parameters.WriteCbor(writer);
        writer.WriteField(2, ProtocolVersion);
        writer.WriteField(3, NatType.ToWire());
        MessageCbor.WriteInts(writer, 4, PortMappingTypes);
        writer.WriteField(6, MaxCommonClients);
        writer.WriteField(7, ConnectingClients);
        writer.WriteField(8, ConnectedClients);
        writer.WriteField(9, LimitUpstreamBytesPerSecond);
        writer.WriteField(10, LimitDownstreamBytesPerSecond);
        writer.WriteField(11, PeakUpstreamBytesPerSecond);
        writer.WriteField(12, PeakDownstreamBytesPerSecond);
        writer.WriteField(13, MaxPersonalClients);
        writer.WriteEndMap();
    }

    public static PeerMetrics Read(CborReader reader)
    {
        var m = new PeerMetrics();
        MessageCbor.ReadMap(reader, key =>
        {
            m = key switch
            {
                1 => m with { Parameters = ApiParameters.Read(reader) },
                2 => m with { ProtocolVersion = reader.ReadInt32() },
                3 => m with { NatType = NatType.FromWire(reader.ReadInt64()) },
                4 => m with { PortMappingTypes = MessageCbor.ReadInts(reader, 8) },
                6 => m with { MaxCommonClients = reader.ReadInt32() },
                7 => m with { ConnectingClients = reader.ReadInt32() },
                8 => m with { ConnectedClients = reader.ReadInt32() },
                9 => m with { LimitUpstreamBytesPerSecond = reader.ReadInt64() },
                10 => m with { LimitDownstreamBytesPerSecond = reader.ReadInt64() },
                11 => m with { PeakUpstreamBytesPerSecond = reader.ReadInt64() },
                12 => m with { PeakDownstreamBytesPerSecond = reader.ReadInt64() },
                13 => m with { MaxPersonalClients = reader.ReadInt32() },
                _ => Skip(reader, m),
            };
        });
        return m;
    }

    private static PeerMetrics Skip(CborReader reader, PeerMetrics m)
    {
        reader.SkipValue();
        return m;
    }
}
