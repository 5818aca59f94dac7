using System.Formats.Cbor;

namespace Inroad.Sessions.Records;

/// <summary>
/// Writes int-keyed map fields with Go's <c>omitempty</c> rule (zero ints, false, empty strings and byte strings
/// are left out). Use inside <c>WriteStartMap(null)</c> / <c>WriteEndMap()</c>; the canonical writer sorts keys
/// and fixes the map length.
/// </summary>
public static class CborFieldExtensions
{
    public static void WriteField(this CborWriter writer, int key, long value)
    {
        ArgumentNullException.ThrowIfNull(writer);
        if (value != 0)
        {
            writer.WriteInt32(key);
            writer.WriteInt64(value);
        }
    }

    public static void WriteField(this CborWriter writer, int key, ulong value)
    {
        ArgumentNullException.ThrowIfNull(writer);
        if (value != 0)
        {
            writer.WriteInt32(key);
            writer.WriteUInt64(value);
        }
    }

    public static void WriteField(this CborWriter writer, int key, bool value)
    {
        ArgumentNullException.ThrowIfNull(writer);
        if (value)
        {
            writer.WriteInt32(key);
            writer.WriteBoolean(true);
        }
    }

    public static void WriteField(this CborWriter writer, int key, string? value)
    {
        ArgumentNullException.ThrowIfNull(writer);
        if (!string.IsNullOrEmpty(value))
        {
            writer.WriteInt32(key);
            writer.WriteTextString(value);
        }
    }

    public static void WriteField(this CborWriter writer, int key, ReadOnlySpan<byte> value)
    {
        ArgumentNullException.ThrowIfNull(writer);
        if (!value.IsEmpty)
        {
            writer.WriteInt32(key);
            writer.WriteByteString(value);
        }
    }

    /// <summary>A fixed-size array (an ID, a secret): written even when all zero, as the design requires.</summary>
    public static void WriteFixedField(this CborWriter writer, int key, ReadOnlySpan<byte> value)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteInt32(key);
        writer.WriteByteString(value);
    }
}
