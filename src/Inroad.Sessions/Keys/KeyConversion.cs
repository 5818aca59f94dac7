using System.Numerics;
using System.Security.Cryptography;
using Org.BouncyCastle.Math.EC.Rfc8032;

namespace Inroad.Sessions.Keys;

/// <summary>
/// Ed25519 → X25519 (RFC 7748 §4.1 birational map u = (1 + y) / (1 − y)), as libsodium's
/// crypto_sign_ed25519_pk_to_curve25519 and filippo.io/edwards25519's BytesMontgomery compute it.
/// Runs once per key, so BigInteger arithmetic is fine here.
/// </summary>
internal static class KeyConversion
{
    private static readonly BigInteger P = (BigInteger.One << 255) - 19;

    /// <summary>X25519 private scalar = SHA-512(seed)[0:32], left unclamped (X25519 clamps on use).</summary>
    public static void PrivateKeyToX25519(ReadOnlySpan<byte> ed25519Seed, Span<byte> x25519Private)
    {
        Span<byte> digest = stackalloc byte[64];
        SHA512.HashData(ed25519Seed[..32], digest);
        digest[..32].CopyTo(x25519Private);
        digest.Clear();
    }

    /// <summary>
    /// Montgomery u of an Ed25519 public key. Rejects encodings that are not a point of the prime-order
    /// subgroup (non-canonical, off the curve, small order), as libsodium does.
    /// </summary>
    public static bool TryPublicKeyToX25519(ReadOnlySpan<byte> ed25519Public, Span<byte> x25519Public)
    {
        if (ed25519Public.Length != 32 || !Ed25519.ValidatePublicKeyFull(ed25519Public))
        {
            return false;
        }

        Span<byte> yBytes = stackalloc byte[32];
        ed25519Public.CopyTo(yBytes);
        yBytes[31] &= 0x7f;
        var y = new BigInteger(yBytes, isUnsigned: true, isBigEndian: false);
        BigInteger denominator = Mod(BigInteger.One - y);
        if (denominator.IsZero)
        {
            return false;
        }

        BigInteger u = Mod((BigInteger.One + y) * BigInteger.ModPow(denominator, P - 2, P));
        x25519Public.Clear();
        u.TryWriteBytes(x25519Public, out _, isUnsigned: true, isBigEndian: false);
        return true;
    }

    private static BigInteger Mod(BigInteger value)
    {
        BigInteger r = value % P;
        return r.Sign < 0 ? r + P : r;
    }
}
