using System.Buffers.Binary;

namespace Inroad.Tunnel;

/// <summary>Frame types of the tunnel stream multiplexer.</summary>
internal enum MuxFrameType : byte
{
    /// <summary>Client opens a stream; payload is the UTF-8 target "host:port".</summary>
    Open = 1,

    /// <summary>Server accepted an <see cref="Open"/>; the stream may carry data both ways.</summary>
    OpenAccepted = 2,

    /// <summary>Stream bytes.</summary>
    Data = 3,

    /// <summary>Sender will write no more on this stream (half close).</summary>
    Finish = 4,

    /// <summary>Abort the stream; payload is one <see cref="MuxResetReason"/> byte.</summary>
    Reset = 5,

    /// <summary>Receiver consumed bytes; payload is a 4-byte credit increment.</summary>
    WindowUpdate = 6,
}

/// <summary>Why a stream was reset; maps onto SOCKS5 reply codes on the client.</summary>
public enum MuxResetReason : byte
{
    /// <summary>Generic failure.</summary>
    Failure = 1,

    /// <summary>The server's allow/deny list refused the target.</summary>
    NotAllowed = 2,

    /// <summary>The target's network is unreachable or its name did not resolve.</summary>
    Unreachable = 3,

    /// <summary>The target refused the connection.</summary>
    Refused = 4,

    /// <summary>The peer broke the protocol (e.g. sent more than its window).</summary>
    ProtocolError = 5,

    /// <summary>The session is closing.</summary>
    Closed = 6,
}

/// <summary>
/// The 7-byte frame header: type (1), stream ID (4, big endian), payload length (2, big endian).
/// The tunnel's outer layer (an obfuscated Noise session) hides these bytes; the multiplexer itself
/// only needs to be small and cheap.
/// </summary>
internal readonly record struct MuxFrameHeader(MuxFrameType Type, uint StreamId, int Length)
{
    public const int Size = 7;

    public const int MaxPayload = ushort.MaxValue;

    public void Write(Span<byte> destination)
    {
        destination[0] = (byte)Type;
        BinaryPrimitives.WriteUInt32BigEndian(destination[1..], StreamId);
        BinaryPrimitives.WriteUInt16BigEndian(destination[5..], (ushort)Length);
    }

    public static bool TryRead(ReadOnlySpan<byte> source, out MuxFrameHeader header)
    {
        if (source.Length < Size || source[0] is 0 or > (byte)MuxFrameType.WindowUpdate)
        {
            header = default;
            return false;
        }

        header = new MuxFrameHeader(
            (MuxFrameType)source[0],
            BinaryPrimitives.ReadUInt32BigEndian(source[1..]),
            BinaryPrimitives.ReadUInt16BigEndian(source[5..]));
        return true;
    }
}
