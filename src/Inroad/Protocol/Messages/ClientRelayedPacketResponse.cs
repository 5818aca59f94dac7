using System.Formats.Cbor;
using Inroad.Sessions.Records;

namespace Inroad.Protocol.Messages;

/// <summary>Broker → client (record 10): 1 packet for the tunnel server (empty ⇒ the relay is finished).</summary>
internal sealed record ClientRelayedPacketResponse : ICborRecord<ClientRelayedPacketResponse>
{
    public static RecordType RecordType => RecordType.ClientRelayedPacketResponse;

    public ReadOnlyMemory<byte> PacketToServer { get; init; }

    public void WriteCbor(CborWriter writer)
    {
        writer.WriteStartMap(null);
        writer.WriteField(1, PacketToServer.Span);
        writer.WriteEndMap();
    }

    public static bool TryReadCbor(CborReader reader, out ClientRelayedPacketResponse? value)
    {
        ReadOnlyMemory<byte> packet = default;
        MessageCbor.ReadMap(reader, key =>
        {
            if (key == 1)
            {
                packet = reader.ReadByteString();
            }
            else
            {
                reader.SkipValue();
            }
        });
        value = new ClientRelayedPacketResponse { PacketToServer = packet };
        return true;
    }
}
