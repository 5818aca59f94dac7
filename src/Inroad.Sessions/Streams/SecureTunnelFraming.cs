using System.Buffers.Binary;
using Inroad.Sessions.Noise;

namespace Inroad.Sessions.Streams;

/// <summary>
/// Frames of the secure tunnel: <c>AEAD(k, n, bodyLen u16 ‖ padLen u16)</c> (20 bytes) then
/// <c>AEAD(k, n+1, payload ‖ padLen zero bytes)</c>. Lengths are sealed, so the byte stream is random
/// from the first byte and frame boundaries are invisible; each direction has its own key and counter.
/// </summary>
internal static class SecureTunnelFraming
{
    public const int HeaderPlainLength = 4;

    public const int HeaderLength = HeaderPlainLength + CipherState.TagLength;

    /// <summary>Largest body (payload plus padding) a frame carries.</summary>
    public const int MaxBody = ushort.MaxValue - CipherState.TagLength;

    public static int FrameLength(int payloadLength, int paddingLength) =>
        HeaderLength + payloadLength + paddingLength + CipherState.TagLength;

    /// <summary>Seals one frame into <paramref name="destination"/>; returns bytes written.</summary>
    public static int Seal(CipherState cipher, ReadOnlySpan<byte> payload, int paddingLength, Span<byte> destination, Span<byte> scratch)
    {
        int body = payload.Length + paddingLength;
        Span<byte> header = stackalloc byte[HeaderPlainLength];
        BinaryPrimitives.WriteUInt16BigEndian(header, (ushort)body);
        BinaryPrimitives.WriteUInt16BigEndian(header[2..], (ushort)paddingLength);
        int at = cipher.EncryptWithAd(default, header, destination);

        if (paddingLength == 0)
        {
            return at + cipher.EncryptWithAd(default, payload, destination[at..]);
        }

        // Padded bodies go through scratch so payload and padding are sealed as one message.
        payload.CopyTo(scratch);
        scratch.Slice(payload.Length, paddingLength).Clear();
        at += cipher.EncryptWithAd(default, scratch[..body], destination[at..]);
        return at;
    }

    /// <summary>Opens a frame header; false when it does not authenticate or is out of bounds.</summary>
    public static bool TryOpenHeader(CipherState cipher, ReadOnlySpan<byte> sealedHeader, out int bodyLength, out int paddingLength)
    {
        Span<byte> header = stackalloc byte[HeaderPlainLength];
        bodyLength = paddingLength = 0;
        if (cipher.DecryptWithAd(default, sealedHeader, header) != HeaderPlainLength)
        {
            return false;
        }

        bodyLength = BinaryPrimitives.ReadUInt16BigEndian(header);
        paddingLength = BinaryPrimitives.ReadUInt16BigEndian(header[2..]);
        return bodyLength <= MaxBody && paddingLength <= bodyLength;
    }
}
