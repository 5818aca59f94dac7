using System.Formats.Cbor;
using Inroad.Sessions.Records;

namespace Inroad.Protocol.Messages;

/// <summary>
/// Broker → tunnel server, relayed by the client (record 11, one-way): 1 proxy ID, 2 connection ID,
/// 3/4 matched common/personal, 7 client NAT type, 8 client port mappings, 9 client IP, 10 proxy IP,
/// 11 proxy metrics, 12 proxy is priority, 13 proxy DTLS fingerprint, 14–17 ICE region/ASN of both sides.
/// </summary>
internal sealed record BrokerServerReport : ICborRecord<BrokerServerReport>
{
    public static RecordType RecordType => RecordType.BrokerServerReport;

    public Id32 ProxyId { get; init; }

    public Id32 ConnectionId { get; init; }

    public bool MatchedCommonCompartments { get; init; }

    public bool MatchedPersonalCompartments { get; init; }

    public NatType ClientNatType { get; init; }

    public IReadOnlyList<int> ClientPortMappingTypes { get; init; } = [];

    public string? ClientIp { get; init; }

    public string? ProxyIp { get; init; }

    public PeerMetrics? ProxyMetrics { get; init; }

    public bool ProxyIsPriority { get; init; }

    public string? ProxyDtlsFingerprint { get; init; }

    public string? ClientIceRegion { get; init; }

    public string? ClientIceAsn { get; init; }

    public string? ProxyIceRegion { get; init; }

    public string? ProxyIceAsn { get; init; }

    public void WriteCbor(CborWriter writer)
    {
        writer.WriteStartMap(null);
        MessageCbor.WriteId(writer, 1, ProxyId);
        MessageCbor.WriteId(writer, 2, ConnectionId);
        writer.WriteField(3, MatchedCommonCompartments);
        writer.WriteField(4, MatchedPersonalCompartments);
        writer.WriteField(7, ClientNatType.ToWire());
        MessageCbor.WriteInts(writer, 8, ClientPortMappingTypes);
        writer.WriteField(9, ClientIp);
        writer.WriteField(10, ProxyIp);
        MessageCbor.WriteNested(writer, 11, ProxyMetrics is null ? null : ProxyMetrics.WriteCbor);
        writer.WriteField(12, ProxyIsPriority);
        writer.WriteField(13, ProxyDtlsFingerprint);
        writer.WriteField(14, ClientIceRegion);
        writer.WriteField(15, ClientIceAsn);
        writer.WriteField(16, ProxyIceRegion);
        writer.WriteField(17, ProxyIceAsn);
        writer.WriteEndMap();
    }

    public static bool TryReadCbor(CborReader reader, out BrokerServerReport? value)
    {
        var v = new BrokerServerReport();
        MessageCbor.ReadMap(reader, key =>
        {
            v = key switch
            {
                1 => v with { ProxyId = MessageCbor.ReadId(reader) },
                2 => v with { ConnectionId = MessageCbor.ReadId(reader) },
                3 => v with { MatchedCommonCompartments = reader.ReadBoolean() },
                4 => v with { MatchedPersonalCompartments = reader.ReadBoolean() },
                7 => v with { ClientNatType = NatType.FromWire(reader.ReadInt64()) },
                8 => v with { ClientPortMappingTypes = MessageCbor.ReadInts(reader, 8) },
                9 => v with { ClientIp = reader.ReadTextString() },
                10 => v with { ProxyIp = reader.ReadTextString() },
                11 => v with { ProxyMetrics = PeerMetrics.Read(reader) },
                12 => v with { ProxyIsPriority = reader.ReadBoolean() },
                13 => v with { ProxyDtlsFingerprint = reader.ReadTextString() },
                14 => v with { ClientIceRegion = reader.ReadTextString() },
                15 => v with { ClientIceAsn = reader.ReadTextString() },
                16 => v with { ProxyIceRegion = reader.ReadTextString() },
                17 => v with { ProxyIceAsn = reader.ReadTextString() },
                _ => Skip(reader, v),
            };
        });
        value = v;
        return !v.ConnectionId.IsZero;
    }

    private static BrokerServerReport Skip(CborReader reader, BrokerServerReport v)
    {
        reader.SkipValue();
        return v;
    }
}
