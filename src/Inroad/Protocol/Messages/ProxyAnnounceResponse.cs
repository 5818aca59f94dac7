using System.Formats.Cbor;
using Inroad.Sessions.Records;

namespace Inroad.Protocol.Messages;

/// <summary>
/// Broker → proxy (record 4): 2 tactics, 3 Limited, 4 NoMatch, 5 connection ID, 6 selected version,
/// 7 client offer SDP, 8 client root obfuscation secret, 9 DTLS randomization, 10 traffic shaping,
/// 11 network protocol, 12 destination address, 13 MustUpgrade, 14 media streams, 15 client region.
/// </summary>
internal sealed record ProxyAnnounceResponse : ICborRecord<ProxyAnnounceResponse>
{
    public static RecordType RecordType => RecordType.ProxyAnnounceResponse;

    public ReadOnlyMemory<byte> TacticsPayload { get; init; }

    public bool Limited { get; init; }

    public bool NoMatch { get; init; }

    public Id32 ConnectionId { get; init; }

    public int SelectedProtocolVersion { get; init; }

    public string? ClientOfferSdp { get; init; }

    public ReadOnlyMemory<byte> ClientRootObfuscationSecret { get; init; }

    public bool DoDtlsRandomization { get; init; }

    public TrafficShapingParameters? TrafficShaping { get; init; }

    public int NetworkProtocol { get; init; }

    public string? DestinationAddress { get; init; }

    public bool MustUpgrade { get; init; }

    public bool UseMediaStreams { get; init; }

    public string? ClientRegion { get; init; }

    /// <summary>True when this carries a match (not Limited, NoMatch or MustUpgrade).</summary>
    public bool IsMatch => !Limited && !NoMatch && !MustUpgrade && !ConnectionId.IsZero;

    public void WriteCbor(CborWriter writer)
    {
        writer.WriteStartMap(null);
        writer.WriteField(2, TacticsPayload.Span);
        writer.WriteField(3, Limited);
        writer.WriteField(4, NoMatch);
        if (!ConnectionId.IsZero)
        {
            MessageCbor.WriteId(writer, 5, ConnectionId);
        }

        writer.WriteField(6, SelectedProtocolVersion);
        writer.WriteField(7, ClientOfferSdp);
        writer.WriteField(8, ClientRootObfuscationSecret.Span);
        writer.WriteField(9, DoDtlsRandomization);
        MessageCbor.WriteNested(writer, 10, TrafficShaping is null ? null : TrafficShaping.WriteCbor);
        writer.WriteField(11, NetworkProtocol);
        writer.WriteField(12, DestinationAddress);
        writer.WriteField(13, MustUpgrade);
        writer.WriteField(14, UseMediaStreams);
        writer.WriteField(15, ClientRegion);
        writer.WriteEndMap();
    }

    public static bool TryReadCbor(CborReader reader, out ProxyAnnounceResponse? value)
    {
        var v = new ProxyAnnounceResponse();
        MessageCbor.ReadMap(reader, key =>
        {
            v = key switch
            {
                2 => v with { TacticsPayload = reader.ReadByteString() },
                3 => v with { Limited = reader.ReadBoolean() },
                4 => v with { NoMatch = reader.ReadBoolean() },
                5 => v with { ConnectionId = MessageCbor.ReadId(reader) },
                6 => v with { SelectedProtocolVersion = reader.ReadInt32() },
                7 => v with { ClientOfferSdp = reader.ReadTextString() },
                8 => v with { ClientRootObfuscationSecret = reader.ReadByteString() },
                9 => v with { DoDtlsRandomization = reader.ReadBoolean() },
                10 => v with { TrafficShaping = TrafficShapingParameters.Read(reader) },
                11 => v with { NetworkProtocol = reader.ReadInt32() },
                12 => v with { DestinationAddress = reader.ReadTextString() },
                13 => v with { MustUpgrade = reader.ReadBoolean() },
                14 => v with { UseMediaStreams = reader.ReadBoolean() },
                15 => v with { ClientRegion = reader.ReadTextString() },
                _ => Skip(reader, v),
            };
        });
        value = v;
        return true;
    }

    private static ProxyAnnounceResponse Skip(CborReader reader, ProxyAnnounceResponse v)
    {
        reader.SkipValue();
        return v;
    }
}
