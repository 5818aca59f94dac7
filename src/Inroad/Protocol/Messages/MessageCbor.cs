using System.Formats.Cbor;
using Inroad.Sessions.Records;

namespace Inroad.Protocol.Messages;

/// <summary>
/// Reading helpers for int-keyed message maps. They throw <see cref="FormatException"/> on a wrong shape;
/// <see cref="CborRecords.TryUnmarshal{T}"/> turns every such exception into "false", so network input never
/// escapes as an exception.
/// </summary>
internal static class MessageCbor
{
    /// <summary>Reads a map, calling <paramref name="field"/> for each key; the callback must consume the value (or skip it).</summary>
    public static void ReadMap(CborReader reader, Action<int> field)
    {
        _ = reader.ReadStartMap();
        while (reader.PeekState() != CborReaderState.EndMap)
        {
            field(reader.ReadInt32());
        }

        reader.ReadEndMap();
    }

    /// <summary>A 32-byte byte string.</summary>
    public static Id32 ReadId(CborReader reader) =>
        Id32.TryRead(reader.ReadByteString(), out Id32 id) ? id : throw new FormatException("an ID is 32 bytes");

    /// <summary>A list of 32-byte IDs, at most <paramref name="max"/>.</summary>
    public static Id32[] ReadIds(CborReader reader, int max)
    {
        int? count = reader.ReadStartArray();
        if (count is null or < 0 || count > max)
        {
            throw new FormatException("too many IDs");
        }

        var ids = new Id32[count.Value];
        for (int i = 0; i < ids.Length; i++)
        {
            ids[i] = ReadId(reader);
        }

        reader.ReadEndArray();
        return ids;
    }

    /// <summary>A list of small ints, at most <paramref name="max"/>.</summary>
    public static int[] ReadInts(CborReader reader, int max)
    {
        int? count = reader.ReadStartArray();
        if (count is null or < 0 || count > max)
        {
            throw new FormatException("list too long");
        }

        var values = new int[count.Value];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = reader.ReadInt32();
        }

        reader.ReadEndArray();
        return values;
    }

    /// <summary>Writes a list of IDs unless empty (omitempty).</summary>
    public static void WriteIds(CborWriter writer, int key, IReadOnlyList<Id32>? ids)
    {
        if (ids is not { Count: > 0 })
        {
            return;
        }

        writer.WriteInt32(key);
        writer.WriteStartArray(ids.Count);
        Span<byte> bytes = stackalloc byte[Id32.Length];
        foreach (Id32 id in ids)
        {
            id.CopyTo(bytes);
            writer.WriteByteString(bytes);
        }

        writer.WriteEndArray();
    }

    /// <summary>Writes a fixed 32-byte ID (always, even when zero, as fixed arrays are never omitted).</summary>
    public static void WriteId(CborWriter writer, int key, Id32 id)
    {
        Span<byte> bytes = stackalloc byte[Id32.Length];
        id.CopyTo(bytes);
        writer.WriteFixedField(key, bytes);
    }

    /// <summary>Writes a list of small ints unless empty.</summary>
    public static void WriteInts(CborWriter writer, int key, IReadOnlyList<int>? values)
    {
        if (values is not { Count: > 0 })
        {
            return;
        }

        writer.WriteInt32(key);
        writer.WriteStartArray(values.Count);
        foreach (int v in values)
        {
            writer.WriteInt32(v);
        }

        writer.WriteEndArray();
    }

    /// <summary>Writes a nested message unless null.</summary>
    public static void WriteNested(CborWriter writer, int key, Action<CborWriter>? write)
    {
        if (write is null)
        {
            return;
        }

        writer.WriteInt32(key);
        write(writer);
    }
}
