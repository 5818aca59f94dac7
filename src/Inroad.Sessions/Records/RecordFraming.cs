namespace Inroad.Sessions.Records;

/// <summary>
/// Record framing (design §2.1): <c>[version 1][type][uvarint length][CBOR]</c>. The length must equal the bytes
/// that follow exactly, be minimally encoded, and be at most <see cref="MaxCborLength"/>; unknown types are rejected.
/// TryRead never throws.
/// </summary>
public static class RecordFraming
{
    /// <summary>The only record version.</summary>
    public const byte Version = 1;

    /// <summary>Largest CBOR body a record may carry.</summary>
    public const int MaxCborLength = 0xFFFF;

    /// <summary>Largest header: version, type and a 3-byte uvarint.</summary>
    public const int MaxHeaderLength = 5;

    /// <summary>True for the record types of <see cref="RecordType"/> (1..15).</summary>
    public static bool IsKnown(RecordType type) => type is >= RecordType.SessionPacket and <= RecordType.ClientDslResponse;

    /// <summary>Header length for a CBOR body of <paramref name="cborLength"/> bytes.</summary>
    public static int HeaderLength(int cborLength) => 2 + UVarint.Length((ulong)cborLength);

    /// <summary>Writes the header and the body.</summary>
    public static bool TryWrite(Span<byte> destination, RecordType type, ReadOnlySpan<byte> cbor, out int written)
    {
        written = 0;
        if (!IsKnown(type) || cbor.Length > MaxCborLength)
        {
            return false;
        }

        int header = HeaderLength(cbor.Length);
        if (destination.Length < header + cbor.Length)
        {
            return false;
        }

        destination[0] = Version;
        destination[1] = (byte)type;
        UVarint.Write(destination[2..], (ulong)cbor.Length);
        cbor.CopyTo(destination[header..]);
        written = header + cbor.Length;
        return true;
    }

    /// <summary>Writes version, type and length; returns where the body starts. The caller checked the size.</summary>
    internal static int WriteHeader(Span<byte> destination, RecordType type, int cborLength)
    {
        if (cborLength > MaxCborLength)
        {
            throw new SessionException(SessionError.PayloadTooLarge, $"{type} record exceeds {MaxCborLength} bytes");
        }

        destination[0] = Version;
        destination[1] = (byte)type;
        return 2 + UVarint.Write(destination[2..], (ulong)cborLength);
    }

    /// <summary>Frames a CBOR body into a new array.</summary>
    public static byte[] Encode(RecordType type, ReadOnlySpan<byte> cbor)
    {
        byte[] record = new byte[HeaderLength(cbor.Length) + cbor.Length];
        return TryWrite(record, type, cbor, out _) ? record : throw new SessionException(SessionError.PayloadTooLarge, "record body too large or type unknown");
    }

    /// <summary>Parses a whole record: version, known type, exact minimal length.</summary>
    public static bool TryRead(ReadOnlySpan<byte> record, out RecordType type, out ReadOnlySpan<byte> cbor)
    {
        cbor = default;
        if (!TryReadHeader(record, out type, out int offset, out int length) || record.Length - offset != length)
        {
            return false;
        }

        cbor = record[offset..];
        return true;
    }

    /// <summary>Like <see cref="TryRead(ReadOnlySpan{byte}, out RecordType, out ReadOnlySpan{byte})"/>, slicing memory.</summary>
    public static bool TryRead(ReadOnlyMemory<byte> record, out RecordType type, out ReadOnlyMemory<byte> cbor)
    {
        cbor = default;
        if (!TryReadHeader(record.Span, out type, out int offset, out int length) || record.Length - offset != length)
        {
            return false;
        }

        cbor = record[offset..];
        return true;
    }

    /// <summary>The type of a record without parsing the rest (the broker dispatches on it).</summary>
    public static bool TryPeekType(ReadOnlySpan<byte> record, out RecordType type)
    {
        type = RecordType.None;
        if (record.Length < 2 || record[0] != Version || !IsKnown((RecordType)record[1]))
        {
            return false;
        }

        type = (RecordType)record[1];
        return true;
    }

    private static bool TryReadHeader(ReadOnlySpan<byte> record, out RecordType type, out int offset, out int length)
    {
        offset = 0;
        length = 0;
        if (!TryPeekType(record, out type) || !UVarint.TryRead(record[2..], out ulong value, out int consumed) || value > MaxCborLength)
        {
            type = RecordType.None;
            return false;
        }

        offset = 2 + consumed;
        length = (int)value;
        return true;
    }
}
