using System.Buffers;
using System.Buffers.Binary;
using System.IO.Hashing;
using System.Security.Cryptography;
using System.Text;

namespace Inroad.WebRtc.Stun;

/// <summary>
/// MESSAGE-INTEGRITY (HMAC-SHA1), MESSAGE-INTEGRITY-SHA256 and FINGERPRINT (CRC-32 ^ 0x5354554E) over a message
/// prefix whose header length is patched to end at the attribute being computed (RFC 8489 §14.5–14.7).
/// </summary>
internal static class StunIntegrity
{
    public const uint FingerprintXor = 0x5354554E;
    public const int Sha1Length = 20;
    public const int Sha256Length = 32;

    /// <summary>Short-term key: the password's UTF-8 bytes (ICE pwds are ASCII, so OpaqueString is the identity).</summary>
    public static byte[] ShortTermKey(string password) => Encoding.UTF8.GetBytes(password);

    /// <summary>Long-term key, RFC 5389 style: MD5(username ":" realm ":" password).</summary>
    public static byte[] LongTermKeyMd5(string username, string realm, string password) =>
        MD5.HashData(Encoding.UTF8.GetBytes($"{username}:{realm}:{password}"));

    /// <param name="prefix">The message from byte 0 up to (not including) the attribute's header.</param>
    /// <param name="attributeValueLength">Length of the attribute being computed, which the patched header length covers.</param>
    public static void HmacSha1(ReadOnlySpan<byte> prefix, int attributeValueLength, ReadOnlySpan<byte> key, Span<byte> destination) =>
        Compute(prefix, attributeValueLength, key, destination, Algorithm.HmacSha1);

    public static void HmacSha256(ReadOnlySpan<byte> prefix, int attributeValueLength, ReadOnlySpan<byte> key, Span<byte> destination) =>
        Compute(prefix, attributeValueLength, key, destination, Algorithm.HmacSha256);

    public static uint Fingerprint(ReadOnlySpan<byte> prefix)
    {
        Span<byte> result = stackalloc byte[4];
        Compute(prefix, 4, default, result, Algorithm.Crc32);
        return BinaryPrimitives.ReadUInt32BigEndian(result);
    }

    private enum Algorithm
    {
        HmacSha1,
        HmacSha256,
        Crc32,
    }

    private static void Compute(ReadOnlySpan<byte> prefix, int attributeValueLength, ReadOnlySpan<byte> key, Span<byte> destination, Algorithm algorithm)
    {
        byte[]? rented = null;
        Span<byte> copy = prefix.Length <= 1024 ? stackalloc byte[prefix.Length] : (rented = ArrayPool<byte>.Shared.Rent(prefix.Length)).AsSpan(0, prefix.Length);
        try
        {
            prefix.CopyTo(copy);
            BinaryPrimitives.WriteUInt16BigEndian(copy[2..], (ushort)(prefix.Length - StunMessage.HeaderLength + 4 + attributeValueLength));
            switch (algorithm)
            {
                case Algorithm.HmacSha1:
                    HMACSHA1.HashData(key, copy, destination);
                    break;
                case Algorithm.HmacSha256:
                    Span<byte> full = stackalloc byte[Sha256Length];
                    HMACSHA256.HashData(key, copy, full);
                    full[..destination.Length].CopyTo(destination);
                    break;
                default:
                    BinaryPrimitives.WriteUInt32BigEndian(destination, Crc32.HashToUInt32(copy) ^ FingerprintXor);
                    break;
            }
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }
}
