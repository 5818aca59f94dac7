using System.Buffers.Binary;
using System.Text;

namespace Inroad.WebRtc.DataChannels;

/// <summary>
/// The Data Channel Establishment Protocol (RFC 8832), carried with PPID 50. DATA_CHANNEL_OPEN is
/// 12 bytes plus label and protocol, big-endian; DATA_CHANNEL_ACK is the single byte 0x02 (pion sends
/// three zero bytes after it, so trailing bytes are accepted).
/// </summary>
internal readonly record struct DcepOpen(DataChannelType ChannelType, ushort Priority, uint ReliabilityParameter, string Label, string Protocol)
{
    public const byte MessageTypeOpen = 0x03;
    public const byte MessageTypeAck = 0x02;
    private const int HeaderLength = 12;

    public int Length => HeaderLength + Encoding.UTF8.GetByteCount(Label) + Encoding.UTF8.GetByteCount(Protocol);

    public bool TryWrite(Span<byte> destination, out int written)
    {
        written = 0;
        int labelLength = Encoding.UTF8.GetByteCount(Label);
        int protocolLength = Encoding.UTF8.GetByteCount(Protocol);
        if (labelLength > ushort.MaxValue || protocolLength > ushort.MaxValue || destination.Length < HeaderLength + labelLength + protocolLength)
        {
            return false;
        }

        destination[0] = MessageTypeOpen;
        destination[1] = (byte)ChannelType;
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], Priority);
        BinaryPrimitives.WriteUInt32BigEndian(destination[4..], ReliabilityParameter);
        BinaryPrimitives.WriteUInt16BigEndian(destination[8..], (ushort)labelLength);
        BinaryPrimitives.WriteUInt16BigEndian(destination[10..], (ushort)protocolLength);
        Encoding.UTF8.GetBytes(Label, destination[HeaderLength..]);
        Encoding.UTF8.GetBytes(Protocol, destination[(HeaderLength + labelLength)..]);
        written = HeaderLength + labelLength + protocolLength;
        return true;
    }

    /// <summary>Parses DATA_CHANNEL_OPEN; false on anything malformed (never throws).</summary>
    public static bool TryRead(ReadOnlySpan<byte> message, out DcepOpen open)
    {
        open = default;
        if (message.Length < HeaderLength || message[0] != MessageTypeOpen)
        {
            return false;
        }

        var type = (DataChannelType)message[1];
        if (!Enum.IsDefined(type))
        {
            return false;
        }

        int labelLength = BinaryPrimitives.ReadUInt16BigEndian(message[8..]);
        int protocolLength = BinaryPrimitives.ReadUInt16BigEndian(message[10..]);
        if (message.Length < HeaderLength + labelLength + protocolLength)
        {
            return false;
        }

        ReadOnlySpan<byte> label = message.Slice(HeaderLength, labelLength);
        ReadOnlySpan<byte> protocol = message.Slice(HeaderLength + labelLength, protocolLength);
        if (!System.Text.Unicode.Utf8.IsValid(label) || !System.Text.Unicode.Utf8.IsValid(protocol))
        {
            return false;
        }

        open = new DcepOpen(
            type,
            BinaryPrimitives.ReadUInt16BigEndian(message[2..]),
            BinaryPrimitives.ReadUInt32BigEndian(message[4..]),
            Encoding.UTF8.GetString(label),
            Encoding.UTF8.GetString(protocol));
        return true;
    }

    public static bool IsAck(ReadOnlySpan<byte> message) => message.Length >= 1 && message[0] == MessageTypeAck;
}
