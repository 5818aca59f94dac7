namespace Inroad.Sessions.Records;

/// <summary>
/// The small canonical CBOR subset the two hot session records need (maps, unsigned ints, byte strings),
/// written into and read from spans without allocating. Output is byte-identical to System.Formats.Cbor in
/// CTAP2 canonical mode (a test checks); the reader enforces the same rules: definite lengths, minimal heads.
/// </summary>
internal static class SpanCbor
{
    public const byte MajorUInt = 0;
    public const byte MajorBytes = 2;
    public const byte MajorMap = 5;

    public static int HeadLength(ulong value) => value switch
    {
        < 24 => 1,
        <= byte.MaxValue => 2,
        <= ushort.MaxValue => 3,
        <= uint.MaxValue => 5,
        _ => 9,
    };

    public static void WriteHead(Span<byte> destination, ref int at, byte major, ulong value)
    {
        byte m = (byte)(major << 5);
        switch (HeadLength(value))
        {
            case 1:
                destination[at++] = (byte)(m | value);
                break;
            case 2:
                destination[at++] = (byte)(m | 24);
                destination[at++] = (byte)value;
                break;
            case 3:
                destination[at++] = (byte)(m | 25);
                System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(destination[at..], (ushort)value);
                at += 2;
                break;
            case 5:
                destination[at++] = (byte)(m | 26);
                System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(destination[at..], (uint)value);
                at += 4;
                break;
            default:
                destination[at++] = (byte)(m | 27);
                System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(destination[at..], value);
                at += 8;
                break;
        }
    }

    public static void WriteBytes(Span<byte> destination, ref int at, ReadOnlySpan<byte> value)
    {
        WriteHead(destination, ref at, MajorBytes, (ulong)value.Length);
        value.CopyTo(destination[at..]);
        at += value.Length;
    }

    /// <summary>Bytes a byte-string field (key + value) takes.</summary>
    public static int BytesFieldLength(int length) => 1 + HeadLength((ulong)length) + length;

    /// <summary>Reads a head; rejects indefinite lengths, reserved values and non-minimal encodings.</summary>
    public static bool TryReadHead(ReadOnlySpan<byte> source, scoped ref int at, out byte major, out ulong value)
    {
        major = 0;
        value = 0;
        if (at >= source.Length)
        {
            return false;
        }

        byte initial = source[at++];
        major = (byte)(initial >> 5);
        int ai = initial & 0x1f;
        int extra = ai switch
        {
            < 24 => 0,
            24 => 1,
            25 => 2,
            26 => 4,
            27 => 8,
            _ => -1,
        };
        if (extra < 0 || source.Length - at < extra)
        {
            return false;
        }

        value = extra switch
        {
            0 => (ulong)ai,
            1 => source[at],
            2 => System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(source[at..]),
            4 => System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(source[at..]),
            _ => System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(source[at..]),
        };
        at += extra;
        return HeadLength(value) == 1 + extra;
    }

    public static bool TryReadBytes(ReadOnlySpan<byte> source, scoped ref int at, out ReadOnlySpan<byte> value)
    {
        value = default;
        if (!TryReadHead(source, ref at, out byte major, out ulong length) || major != MajorBytes || length > (ulong)(source.Length - at))
        {
            return false;
        }

        value = source.Slice(at, (int)length);
        at += (int)length;
        return true;
    }
}
