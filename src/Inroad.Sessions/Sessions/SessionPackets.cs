using System.Buffers;
using Inroad.Sessions.Keys;
using Inroad.Sessions.Obfuscation;
using Inroad.Sessions.Records;

namespace Inroad.Sessions;

/// <summary>
/// Builds and opens the layers of design §2.1 between a Noise message and the wire: SessionRoundTrip inside
/// Noise inside SessionPacket inside obfuscation. Intermediate layers live in pooled buffers; the obfuscated
/// packet is the one allocation.
/// </summary>
internal static class SessionPackets
{
    /// <summary>Wraps a Noise handshake message (nonce 0) and obfuscates it.</summary>
    public static byte[] Handshake(PacketObfuscator obfuscator, PacketDirection direction, Id32 sessionId, ReadOnlySpan<byte> noiseMessage) =>
        Wrap(obfuscator, direction, new SessionPacket(sessionId, 0, noiseMessage, default));

    /// <summary>Wraps a reset token for <paramref name="sessionId"/> and obfuscates it.</summary>
    public static byte[] Reset(PacketObfuscator obfuscator, Id32 sessionId, ReadOnlySpan<byte> token) =>
        Wrap(obfuscator, PacketDirection.ResponderToInitiator, new SessionPacket(sessionId, 0, default, token));

    /// <summary>Encrypts a round trip with the session's transport cipher and obfuscates it.</summary>
    public static byte[] Transport(PacketObfuscator obfuscator, PacketDirection direction, Id32 sessionId, TransportCiphers ciphers, Id32 roundTripId, ReadOnlySpan<byte> payload)
    {
        int plainLength = SessionRoundTrip.EncodedLength(payload.Length);
        byte[] plain = ArrayPool<byte>.Shared.Rent(plainLength + Noise.CipherState.TagLength);
        byte[] sealedBuffer = ArrayPool<byte>.Shared.Rent(plainLength + Noise.CipherState.TagLength);
        try
        {
            int n = new SessionRoundTrip(roundTripId, payload).WriteRecord(plain);
            int c = ciphers.Seal(plain.AsSpan(0, n), sealedBuffer, out ulong nonce);
            return Wrap(obfuscator, direction, new SessionPacket(sessionId, nonce, sealedBuffer.AsSpan(0, c), default));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(plain, clearArray: true);
            ArrayPool<byte>.Shared.Return(sealedBuffer);
        }
    }

    /// <summary>Writes a Noise plaintext SessionRoundTrip record into <paramref name="destination"/>.</summary>
    public static int RoundTripRecord(Id32 roundTripId, ReadOnlySpan<byte> payload, Span<byte> destination) =>
        new SessionRoundTrip(roundTripId, payload).WriteRecord(destination);

    private static byte[] Wrap(PacketObfuscator obfuscator, PacketDirection direction, SessionPacket packet)
    {
        int length = SessionPacket.EncodedLength(packet.Nonce, packet.Payload.Length, packet.ResetToken.Length);
        byte[] record = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            int n = packet.WriteRecord(record);
            return obfuscator.Obfuscate(record.AsSpan(0, n), direction);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(record);
        }
    }
}
