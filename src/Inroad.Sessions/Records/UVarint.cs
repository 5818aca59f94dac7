namespace Inroad.Sessions.Records;

/// <summary>Unsigned LEB128 varints (as Go's encoding/binary writes them), and zig-zag for signed values.</summary>
internal static class UVarint
{
    /// <summary>Longest encoding of a 64-bit value.</summary>
    public const int MaxLength = 10;

    public static int Length(ulong value)
    {
        int n = 1;
        while (value >= 0x80)
        {
            value >>= 7;
            n++;
        }

        return n;
    }

    public static int Write(Span<byte> destination, ulong value)
    {
        int i = 0;
        while (value >= 0x80)
        {
            destination[i++] = (byte)(value | 0x80);
            value >>= 7;
        }

        destination[i++] = (byte)value;
        return i;
    }

    /// <summary>Reads a minimally encoded value; rejects overlong, truncated and overflowing encodings.</summary>
    public static bool TryRead(ReadOnlySpan<byte> source, out ulong value, out int consumed)
    {
        value = 0;
        consumed = 0;
        int shift = 0;
        for (int i = 0; i < source.Length && i < MaxLength; i++)
        {
            byte b = source[i];
            if (i == MaxLength - 1 && b > 1)
            {
                return false;
            }

            value |= (ulong)(b & 0x7f) << shift;
            if (b < 0x80)
            {
                // A zero final byte after the first means a non-minimal encoding.
                if (b == 0 && i > 0)
                {
                    value = 0;
                    return false;
                }

                consumed = i + 1;
                return true;
            }

            shift += 7;
        }

        value = 0;
        return false;
    }

    public static ulong ZigZag(long value) => (ulong)((value << 1) ^ (value >> 63));

    public static long UnZigZag(ulong value) => (long)(value >> 1) ^ -(long)(value & 1);
}
