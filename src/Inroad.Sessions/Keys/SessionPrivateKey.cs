using System.Security.Cryptography;

namespace Inroad.Sessions.Keys;

/// <summary>
/// A long-term (or ephemeral) Ed25519 identity and the X25519 private key derived from it for Noise.
/// The Ed25519 key signs reset tokens; the X25519 form authenticates the handshake.
/// </summary>
public sealed class SessionPrivateKey : IDisposable
{
    private readonly byte[] _seed;
    private readonly byte[] _x25519;

    private SessionPrivateKey(byte[] seed)
    {
        _seed = seed;
        _x25519 = new byte[32];
        KeyConversion.PrivateKeyToX25519(seed, _x25519);
        byte[] ed = new byte[32];
        Org.BouncyCastle.Math.EC.Rfc8032.Ed25519.GeneratePublicKey(seed, ed);
        if (!SessionPublicKey.TryCreate(ed, out SessionPublicKey? pub))
        {
            throw new CryptographicException("derived Ed25519 public key is invalid");
        }

        PublicKey = pub!;
    }

    /// <summary>The matching public identity.</summary>
    public SessionPublicKey PublicKey { get; }

    /// <summary>Our ID as peers see it (the X25519 public key).</summary>
    public PeerId Id => PublicKey.Id;

    internal ReadOnlySpan<byte> Seed => _seed;

    internal ReadOnlySpan<byte> X25519 => _x25519;

    /// <summary>A new random key.</summary>
    public static SessionPrivateKey Generate() => new(RandomNumberGenerator.GetBytes(32));

    /// <summary>From a 32-byte Ed25519 seed.</summary>
    public static SessionPrivateKey FromSeed(ReadOnlySpan<byte> seed) =>
        seed.Length == 32 ? new SessionPrivateKey(seed.ToArray()) : throw new ArgumentException("an Ed25519 seed is 32 bytes", nameof(seed));

    /// <summary>
    /// Parses base64 (raw std) of the 64-byte Ed25519 private key (seed ‖ public, as configured in the design)
    /// or of the 32-byte seed. A 64-byte key whose public half does not match the seed is rejected.
    /// </summary>
    public static bool TryParse(string? base64, out SessionPrivateKey? key)
    {
        key = null;
        if (Base64Raw.TryDecode(base64, 64, out byte[]? full))
        {
            var k = new SessionPrivateKey(full.AsSpan(0, 32).ToArray());
            if (!k.PublicKey.Ed25519.SequenceEqual(full.AsSpan(32)))
            {
                k.Dispose();
                return false;
            }

            key = k;
            return true;
        }

        if (Base64Raw.TryDecode(base64, 32, out byte[]? seed))
        {
            key = new SessionPrivateKey(seed);
            return true;
        }

        return false;
    }

    /// <summary>Like <see cref="TryParse"/> but throws <see cref="FormatException"/>.</summary>
    public static SessionPrivateKey Parse(string base64) =>
        TryParse(base64, out SessionPrivateKey? key) ? key! : throw new FormatException("not a valid Ed25519 session private key");

    /// <summary>Base64 raw std of seed ‖ public (86 characters).</summary>
    public string Export() => Base64Raw.Encode([.. _seed, .. PublicKey.Ed25519]);

    /// <summary>Ed25519 signature (RFC 8032) of <paramref name="message"/> into a 64-byte span.</summary>
    internal void Sign(ReadOnlySpan<byte> message, Span<byte> signature) =>
        Org.BouncyCastle.Math.EC.Rfc8032.Ed25519.Sign(_seed, PublicKey.Ed25519, message, signature);

    public void Dispose()
    {
        CryptographicOperations.ZeroMemory(_seed);
        CryptographicOperations.ZeroMemory(_x25519);
    }

    /// <summary>Never prints the key.</summary>
    public override string ToString() => $"SessionPrivateKey({PublicKey})";
}
