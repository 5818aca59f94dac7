using System.Formats.Cbor;

namespace Inroad.Sessions.Records;

/// <summary>
/// Marshals <see cref="ICborRecord{TSelf}"/> messages to framed records in CTAP2 canonical CBOR (sorted keys,
/// definite lengths, minimal integers) and back. Decoding rejects non-canonical input, trailing bytes, oversize
/// bodies and wrong record types, and never throws.
/// </summary>
public static class CborRecords
{
    /// <summary>A writer in the one mode records use.</summary>
    public static CborWriter CreateWriter() => new(CborConformanceMode.Ctap2Canonical, convertIndefiniteLengthEncodings: true);

    /// <summary>A reader in the one mode records use.</summary>
    public static CborReader CreateReader(ReadOnlyMemory<byte> cbor) => new(cbor, CborConformanceMode.Ctap2Canonical);

    /// <summary>Encodes <paramref name="value"/> as a whole record.</summary>
    public static byte[] Marshal<T>(T value)
        where T : ICborRecord<T>
    {
        ArgumentNullException.ThrowIfNull(value);
        CborWriter writer = CreateWriter();
        value.WriteCbor(writer);
        int length = writer.BytesWritten;
        byte[] record = new byte[RecordFraming.HeaderLength(length) + length];
        int header = RecordFraming.WriteHeader(record, T.RecordType, length);
        writer.Encode(record.AsSpan(header));
        return record;
    }

    /// <summary>Decodes a whole record of type <typeparamref name="T"/>.</summary>
    public static bool TryUnmarshal<T>(ReadOnlyMemory<byte> record, out T? value)
        where T : ICborRecord<T>
    {
        value = default;
        if (!RecordFraming.TryRead(record, out RecordType type, out ReadOnlyMemory<byte> cbor) || type != T.RecordType)
        {
            return false;
        }

        try
        {
            CborReader reader = CreateReader(cbor);
            return T.TryReadCbor(reader, out value) && reader.BytesRemaining == 0 && value is not null;
        }
        catch (Exception e) when (e is CborContentException or InvalidOperationException or FormatException or OverflowException or ArgumentException)
        {
            value = default;
            return false;
        }
    }
}
