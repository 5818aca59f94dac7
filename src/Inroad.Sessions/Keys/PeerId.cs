namespace Inroad.Sessions.Keys;

/// <summary>
/// A peer's ID: its 32-byte X25519 public key (proxy ID, broker ID, server initiator ID). A value type with
/// cheap equality, so it can key dictionaries of millions of entries.
/// </summary>
public readonly struct PeerId : IEquatable<PeerId>
{
    /// <summary>Length in bytes.</summary>
    public const int Length = 32;

    private readonly Id32 _value;

    /// <summary>From 32 bytes.</summary>
    public PeerId(ReadOnlySpan<byte> bytes)
    {
        _value = new Id32(bytes);
    }

    /// <summary>True for the all-zero default value.</summary>
    public bool IsEmpty => _value.IsZero;

    public static bool operator ==(PeerId left, PeerId right) => left.Equals(right);

    public static bool operator !=(PeerId left, PeerId right) => !left.Equals(right);

    /// <summary>Writes the 32 bytes.</summary>
    public void CopyTo(Span<byte> destination) => _value.CopyTo(destination);

    /// <summary>The 32 bytes as a new array.</summary>
    public byte[] ToArray()
    {
        byte[] bytes = new byte[Length];
        CopyTo(bytes);
        return bytes;
    }

    public bool Equals(PeerId other) => _value.Equals(other._value);

    public override bool Equals(object? obj) => obj is PeerId other && Equals(other);

    public override int GetHashCode() => _value.GetHashCode();

    /// <summary>Base64 raw std: the form logs and registries use.</summary>
    public override string ToString() => _value.ToString();
}
