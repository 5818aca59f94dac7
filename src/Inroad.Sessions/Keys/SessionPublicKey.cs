namespace Inroad.Sessions.Keys;

/// <summary>
/// A peer's long-term identity: an Ed25519 public key (it verifies reset tokens) and its X25519 form
/// (the Noise static key, which is also the peer's <see cref="PeerId"/>). Immutable.
/// </summary>
public sealed class SessionPublicKey : IEquatable<SessionPublicKey>
{
    private readonly byte[] _ed25519;
    private readonly byte[] _x25519;

    private SessionPublicKey(byte[] ed25519, byte[] x25519)
    {
        _ed25519 = ed25519;
        _x25519 = x25519;
        Id = new PeerId(x25519);
    }

    /// <summary>The 32-byte Ed25519 public key.</summary>
    public ReadOnlySpan<byte> Ed25519 => _ed25519;

    /// <summary>The 32-byte X25519 public key used in the Noise handshake.</summary>
    public ReadOnlySpan<byte> X25519 => _x25519;

    /// <summary>The peer's ID: its X25519 public key, what the Noise handshake reveals.</summary>
    public PeerId Id { get; }

    /// <summary>Parses a 32-byte Ed25519 public key; false for keys outside the prime-order group.</summary>
    public static bool TryCreate(ReadOnlySpan<byte> ed25519PublicKey, out SessionPublicKey? key)
    {
        key = null;
        byte[] x = new byte[32];
        if (ed25519PublicKey.Length != 32 || !KeyConversion.TryPublicKeyToX25519(ed25519PublicKey, x))
        {
            return false;
        }

        key = new SessionPublicKey(ed25519PublicKey.ToArray(), x);
        return true;
    }

    /// <summary>Parses base64 (raw std, padding optional) of a 32-byte Ed25519 public key.</summary>
    public static bool TryParse(string? base64, out SessionPublicKey? key)
    {
        key = null;
        return Base64Raw.TryDecode(base64, 32, out byte[]? bytes) && TryCreate(bytes, out key);
    }

    /// <summary>Like <see cref="TryParse"/> but throws <see cref="FormatException"/> for configuration errors.</summary>
    public static SessionPublicKey Parse(string base64) =>
        TryParse(base64, out SessionPublicKey? key) ? key! : throw new FormatException("not a valid Ed25519 session public key");

    /// <summary>Base64 raw std (no padding) of the Ed25519 key: 43 characters.</summary>
    public override string ToString() => Base64Raw.Encode(_ed25519);

    public bool Equals(SessionPublicKey? other) => other is not null && _ed25519.AsSpan().SequenceEqual(other._ed25519);

    public override bool Equals(object? obj) => Equals(obj as SessionPublicKey);

    public override int GetHashCode() => Id.GetHashCode();
}
