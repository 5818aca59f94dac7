using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Inroad.WebRtc.Stun;

/// <summary>The 96-bit STUN transaction ID (RFC 8489 §5), a value type so it can key a dictionary without allocating.</summary>
internal readonly record struct StunTransactionId(ulong High, uint Low)
{
    public const int Length = 12;

    private static readonly byte[] Base64Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"u8.ToArray();

    public static StunTransactionId Read(ReadOnlySpan<byte> source) =>
        new(BinaryPrimitives.ReadUInt64BigEndian(source), BinaryPrimitives.ReadUInt32BigEndian(source[8..]));

    public void Write(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64BigEndian(destination, High);
        BinaryPrimitives.WriteUInt32BigEndian(destination[8..], Low);
    }

    /// <summary>12 random bytes (what Firefox and most stacks send).</summary>
    public static StunTransactionId NewRandom()
    {
        Span<byte> b = stackalloc byte[Length];
        RandomNumberGenerator.Fill(b);
        return Read(b);
    }

    /// <summary>
    /// 12 random characters of the base64 alphabet, as libwebrtc makes them (browsers.md: "rn1+qfnQx4Y1").
    /// A censor can tell the two kinds apart, so the ICE agent uses this form when it wears Chromium's shape.
    /// </summary>
    public static StunTransactionId NewChromium()
    {
        Span<byte> b = stackalloc byte[Length];
        for (int i = 0; i < Length; i++)
        {
            b[i] = Base64Alphabet[RandomNumberGenerator.GetInt32(Base64Alphabet.Length)];
        }

        return Read(b);
    }

    public override string ToString()
    {
        Span<byte> b = stackalloc byte[Length];
        Write(b);
        return Convert.ToHexStringLower(b);
    }
}
