using System.Formats.Cbor;
using Inroad.Sessions.Records;

namespace Inroad.Protocol.Messages;

/// <summary>
/// Tunnel server → broker (record 12, design §2.2, §4.5): 1 quality counts — 36-byte proxy quality key (proxy ID ‖
/// big-endian proxy ASN) → client ASN (decimal text) → tunnels that met the server's quality targets; 2 the
/// server's packed dial parameters (opaque here). Keys are kept as raw bytes; the broker parses them.
/// </summary>
internal sealed record ServerProxyQualityRequest : ICborRecord<ServerProxyQualityRequest>
{
    /// <summary>Proxy keys read at most; a longer request is malformed (design: ≤ 10,000).</summary>
    public const int MaxEntries = 10_000;

    /// <summary>Client ASNs read per proxy key at most.</summary>
    public const int MaxClientAsns = 1_000;

    public static RecordType RecordType => RecordType.ServerProxyQualityRequest;

    public IReadOnlyList<ProxyQualityCounts> QualityCounts { get; init; } = [];

    public ReadOnlyMemory<byte> DialParameters { get; init; }

    public void WriteCbor(CborWriter writer)
    {
        writer.WriteStartMap(null);
        if (QualityCounts.Count > 0)
        {
            writer.WriteInt32(1);
            writer.WriteStartMap(QualityCounts.Count);
            foreach (ProxyQualityCounts counts in QualityCounts)
            {
                writer.WriteByteString(counts.Key.Span);
                writer.WriteStartMap(counts.ClientAsnCounts.Count);
                foreach ((string asn, long count) in counts.ClientAsnCounts)
                {
                    writer.WriteTextString(asn);
                    writer.WriteInt64(count);
                }

                writer.WriteEndMap();
            }

            writer.WriteEndMap();
        }

        writer.WriteField(2, DialParameters.Span);
        writer.WriteEndMap();
    }

    public static bool TryReadCbor(CborReader reader, out ServerProxyQualityRequest? value)
    {
        var counts = new List<ProxyQualityCounts>();
        ReadOnlyMemory<byte> dial = default;
        MessageCbor.ReadMap(reader, key =>
        {
            switch (key)
            {
                case 1:
                    int? n = reader.ReadStartMap();
                    while (reader.PeekState() != CborReaderState.EndMap)
                    {
                        if (counts.Count == MaxEntries || n > MaxEntries)
                        {
                            throw new FormatException("too many proxy quality entries");
                        }

                        byte[] proxyKey = reader.ReadByteString();
                        var asns = new List<(string, long)>();
                        _ = reader.ReadStartMap();
                        while (reader.PeekState() != CborReaderState.EndMap)
                        {
                            if (asns.Count == MaxClientAsns)
                            {
                                throw new FormatException("too many client ASNs");
                            }

                            asns.Add((reader.ReadTextString(), reader.ReadInt64()));
                        }

                        reader.ReadEndMap();
                        counts.Add(new ProxyQualityCounts(proxyKey, asns));
                    }

                    reader.ReadEndMap();
                    break;
                case 2:
                    dial = reader.ReadByteString();
                    break;
                default:
                    reader.SkipValue();
                    break;
            }
        });
        value = new ServerProxyQualityRequest { QualityCounts = counts, DialParameters = dial };
        return true;
    }
}

/// <summary>One proxy quality key (36 wire bytes) and its client ASN → tunnel counts.</summary>
internal sealed record ProxyQualityCounts(ReadOnlyMemory<byte> Key, IReadOnlyList<(string ClientAsn, long Count)> ClientAsnCounts);

/// <summary>Broker → tunnel server (record 13): empty.</summary>
internal sealed record ServerProxyQualityResponse : ICborRecord<ServerProxyQualityResponse>
{
    public static RecordType RecordType => RecordType.ServerProxyQualityResponse;

    public void WriteCbor(CborWriter writer)
    {
        writer.WriteStartMap(null);
        writer.WriteEndMap();
    }

    public static bool TryReadCbor(CborReader reader, out ServerProxyQualityResponse? value)
    {
        MessageCbor.ReadMap(reader, _ => reader.SkipValue());
        value = new ServerProxyQualityResponse();
        return true;
    }
}
