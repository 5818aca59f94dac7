namespace Inroad.WebRtc.DataChannels;

/// <summary>
/// The header of a shaped data-channel message (in-proxy design §6.5): a zig-zag varint (Go's
/// <c>binary.PutVarint</c>) holding the padding length that follows it, or −1 (one byte, 0x01) meaning
/// "no more headers: every later message is raw".
/// </summary>
internal static class ShapingHeader
{
    /// <summary>Longest encoding of a 64-bit varint.</summary>
    public const int MaxLength = 10;

    /// <summary>The value that ends shaping.</summary>
    public const long EndOfHeaders = -1;

    /// <summary>Bytes <paramref name="value"/> takes.</summary>
    public static int GetLength(long value)
    {
        ulong u = ZigZag(value);
        int n = 1;
        while (u >= 0x80)
        {
            u >>= 7;
            n++;
        }

        return n;
    }

    public static bool TryWrite(Span<byte> destination, long value, out int written)
    {
        ulong u = ZigZag(value);
        written = 0;
        while (true)
        {
            if (written == destination.Length)
            {
                written = 0;
                return false;
            }

            if (u < 0x80)
            {
                destination[written++] = (byte)u;
                return true;
            }

            destination[written++] = (byte)(u | 0x80);
            u >>= 7;
        }
    }

    /// <summary>Reads a header; false when <paramref name="source"/> is truncated or the varint overflows 64 bits.</summary>
    public static bool TryRead(ReadOnlySpan<byte> source, out long value, out int consumed)
    {
        ulong u = 0;
        for (int i = 0; i < source.Length && i < MaxLength; i++)
        {
            byte b = source[i];
            if (i == MaxLength - 1 && b > 1)
            {
                break; // overflow
            }

            u |= (ulong)(b & 0x7F) << (7 * i);
            if (b < 0x80)
            {
                consumed = i + 1;
                value = (long)(u >> 1) ^ -(long)(u & 1);
                return true;
            }
        }

        value = 0;
        consumed = 0;
        return false;
    }

    private static ulong ZigZag(long value) => (ulong)((value << 1) ^ (value >> 63));
}
