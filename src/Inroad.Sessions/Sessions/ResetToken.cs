using System.Security.Cryptography;
using Inroad.Sessions.Keys;

namespace Inroad.Sessions;

/// <summary>
/// Reset-session tokens (design §3.5): <c>nonce[32] ‖ Ed25519(responder, SHA-256(context ‖ nonce ‖ packet))</c>,
/// where packet is the exact obfuscated packet the responder could not place. The initiator accepts a token only
/// for the packet it last sent, so a token can be neither forged nor replayed against another request.
/// </summary>
internal static class ResetToken
{
    public const int NonceLength = 32;
    public const int SignatureLength = 64;
    public const int Length = NonceLength + SignatureLength;

    private static readonly byte[] Context = "psiphon-inproxy-session-reset-session-token"u8.ToArray();

    public static byte[] Create(SessionPrivateKey key, ReadOnlySpan<byte> receivedPacket)
    {
        byte[] token = new byte[Length];
        RandomNumberGenerator.Fill(token.AsSpan(0, NonceLength));
        Span<byte> digest = stackalloc byte[32];
        Digest(token.AsSpan(0, NonceLength), receivedPacket, digest);
        key.Sign(digest, token.AsSpan(NonceLength));
        return token;
    }

    public static bool Verify(SessionPublicKey key, ReadOnlySpan<byte> token, ReadOnlySpan<byte> sentPacket)
    {
        if (token.Length != Length)
        {
            return false;
        }

        Span<byte> digest = stackalloc byte[32];
        Digest(token[..NonceLength], sentPacket, digest);
        return Org.BouncyCastle.Math.EC.Rfc8032.Ed25519.Verify(token[NonceLength..], key.Ed25519, digest);
    }

    private static void Digest(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> packet, Span<byte> digest)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Context);
        hash.AppendData(nonce);
        hash.AppendData(packet);
        hash.GetHashAndReset(digest);
    }
}
