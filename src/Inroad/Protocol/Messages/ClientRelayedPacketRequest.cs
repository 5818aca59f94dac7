using System.Formats.Cbor;
using Inroad.Sessions.Records;

namespace Inroad.Protocol.Messages;

/// <summary>Client → broker (record 9): 1 connection ID, 2 packet from the tunnel server.</summary>
internal sealed record ClientRelayedPacketRequest : ICborRecord<ClientRelayedPacketRequest>
{
    public static RecordType RecordType => RecordType.ClientRelayedPacketRequest;

    public Id32 ConnectionId { get; init; }

    public ReadOnlyMemory<byte> PacketFromServer { get; init; }

    public void WriteCbor(CborWriter writer)
    {
        writer.WriteStartMap(null);
        MessageCbor.WriteId(writer, 1, ConnectionId);
        writer.WriteField(2, PacketFromServer.Span);
        writer.WriteEndMap();
    }

    public static bool TryReadCbor(CborReader reader, out ClientRelayedPacketRequest? value)
    {
        var v = new ClientRelayedPacketRequest();
        MessageCbor.ReadMap(reader, key =>
        {
            switch (key)
            {
                case 1: v = v with { ConnectionId = MessageCbor.ReadId(reader) }; break;
                case 2: v = v with { PacketFromServer = reader.ReadByteString() }; break;
                default: reader.SkipValue(); break;
            }
        });
        value = v;
        return !v.ConnectionId.IsZero;
    }
}
