using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Inroad.Protocol;

/// <summary>
/// A 32-byte identifier: proxy ID (the proxy's static public key), connection ID, compartment ID.
/// Stored as four words so a queued entry carries it without a heap array. <see cref="ToString"/>
/// never prints the bytes: personal compartment IDs are secrets and must not reach a log by accident;
/// call <see cref="ToHex"/> deliberately where printing is safe.
/// </summary>
internal readonly struct Id32 : IEquatable<Id32>
{
    /// <summary>The length in bytes.</summary>
    public const int Length = 32;

    private readonly ulong _w0;
    private readonly ulong _w1;
    private readonly ulong _w2;
    private readonly ulong _w3;

    private Id32(ulong w0, ulong w1, ulong w2, ulong w3)
    {
        _w0 = w0;
        _w1 = w1;
        _w2 = w2;
        _w3 = w3;
    }

    /// <summary>True for the all-zero ID (used as "absent").</summary>
    public bool IsZero => (_w0 | _w1 | _w2 | _w3) == 0;

    /// <summary>Reads an ID; false unless <paramref name="bytes"/> is exactly 32 bytes.</summary>
    public static bool TryRead(ReadOnlySpan<byte> bytes, out Id32 id)
    {
        if (bytes.Length != Length)
        {
            id = default;
            return false;
        }

        id = new Id32(
            BinaryPrimitives.ReadUInt64LittleEndian(bytes),
            BinaryPrimitives.ReadUInt64LittleEndian(bytes[8..]),
            BinaryPrimitives.ReadUInt64LittleEndian(bytes[16..]),
            BinaryPrimitives.ReadUInt64LittleEndian(bytes[24..]));
        return true;
    }

    /// <summary>Reads an ID from exactly 32 bytes (caller-supplied data, so this throws).</summary>
    public static Id32 From(ReadOnlySpan<byte> bytes) =>
        TryRead(bytes, out Id32 id) ? id : throw new ArgumentException("An ID is exactly 32 bytes.", nameof(bytes));

    /// <summary>A fresh random ID from the system CSPRNG.</summary>
    public static Id32 NewRandom()
    {
        Span<byte> bytes = stackalloc byte[Length];
        RandomNumberGenerator.Fill(bytes);
        return From(bytes);
    }

    /// <summary>Writes the 32 bytes.</summary>
    public void CopyTo(Span<byte> destination)
    {
        if (destination.Length < Length)
        {
            throw new ArgumentException("Destination is shorter than 32 bytes.", nameof(destination));
        }

        BinaryPrimitives.WriteUInt64LittleEndian(destination, _w0);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[8..], _w1);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[16..], _w2);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[24..], _w3);
    }

    /// <summary>The 32 bytes as a new array.</summary>
    public byte[] ToArray()
    {
        byte[] bytes = new byte[Length];
        CopyTo(bytes);
        return bytes;
    }

    /// <summary>Lower-case hex of the bytes; only for IDs that may be printed.</summary>
    public string ToHex() => Convert.ToHexStringLower(ToArray());

    /// <summary>The first 8 bytes as a number (for consistent hashing).</summary>
    internal ulong FirstWord => _w0;

    public bool Equals(Id32 other) => _w0 == other._w0 && _w1 == other._w1 && _w2 == other._w2 && _w3 == other._w3;

    public override bool Equals(object? obj) => obj is Id32 other && Equals(other);

    // HashCode is seeded per process, so peer-chosen IDs cannot be crafted to collide in our tables.
    public override int GetHashCode() => HashCode.Combine(_w0, _w1, _w2, _w3);

    /// <summary>Never the bytes: see the type's remarks.</summary>
    public override string ToString() => "Id32(redacted)";

    public static bool operator ==(Id32 left, Id32 right) => left.Equals(right);

    public static bool operator !=(Id32 left, Id32 right) => !left.Equals(right);
}
