using System.Formats.Cbor;
using Inroad.Sessions.Records;

namespace Inroad.Protocol.Messages;

/// <summary>Broker → client (record 8): 1 Limited, 2 NoMatch, 3 connection ID, 4 selected version, 5 answer SDP, 6 packet for the server, 7 MustUpgrade.</summary>
internal sealed record ClientOfferResponse : ICborRecord<ClientOfferResponse>
{
    public static RecordType RecordType => RecordType.ClientOfferResponse;

    public bool Limited { get; init; }

    public bool NoMatch { get; init; }

    public Id32 ConnectionId { get; init; }

    public int SelectedProtocolVersion { get; init; }

    public string? ProxyAnswerSdp { get; init; }

    public ReadOnlyMemory<byte> RelayPacketToServer { get; init; }

    public bool MustUpgrade { get; init; }

    public void WriteCbor(CborWriter writer)
    {
        writer.WriteStartMap(null);
        writer.WriteField(1, Limited);
        writer.WriteField(2, NoMatch);
        if (!ConnectionId.IsZero)
        {
            MessageCbor.WriteId(writer, 3, ConnectionId);
        }

        writer.WriteField(4, SelectedProtocolVersion);
        writer.WriteField(5, ProxyAnswerSdp);
        writer.WriteField(6, RelayPacketToServer.Span);
        writer.WriteField(7, MustUpgrade);
        writer.WriteEndMap();
    }

    public static bool TryReadCbor(CborReader reader, out ClientOfferResponse? value)
    {
        var v = new ClientOfferResponse();
        MessageCbor.ReadMap(reader, key =>
        {
            switch (key)
            {
                case 1: v = v with { Limited = reader.ReadBoolean() }; break;
                case 2: v = v with { NoMatch = reader.ReadBoolean() }; break;
                case 3: v = v with { ConnectionId = MessageCbor.ReadId(reader) }; break;
                case 4: v = v with { SelectedProtocolVersion = reader.ReadInt32() }; break;
                case 5: v = v with { ProxyAnswerSdp = reader.ReadTextString() }; break;
                case 6: v = v with { RelayPacketToServer = reader.ReadByteString() }; break;
                case 7: v = v with { MustUpgrade = reader.ReadBoolean() }; break;
                default: reader.SkipValue(); break;
            }
        });
        value = v;
        return true;
    }
}
