using System.Buffers.Binary;
using System.Net;

namespace Inroad.Nat.PortMapping;

/// <summary>
/// NAT-PMP messages (RFC 6886 §3). Version 0; opcode 0 asks for the external address, 1/2 map UDP/TCP; the
/// answer's opcode is the request's plus 128. Readers never throw: anything short, of another version or
/// opcode, or with a non-zero result code is refused (the result code is still reported for logging).
/// </summary>
internal static class NatPmpCodec
{
    public const int Port = 5351;
    public const byte OpExternalAddress = 0, OpMapUdp = 1, OpMapTcp = 2;

    public static bool TryWriteExternalAddressRequest(Span<byte> destination, out int written)
    {
        written = 0;
        if (destination.Length < 2)
        {
            return false;
        }

        destination[0] = 0;
        destination[1] = OpExternalAddress;
        written = 2;
        return true;
    }

    /// <summary>Map request (§3.3); lifetime 0 with external port 0 deletes the mapping.</summary>
    public static bool TryWriteMapRequest(Span<byte> destination, bool udp, ushort internalPort, ushort suggestedExternalPort, uint lifetimeSeconds, out int written)
    {
        written = 0;
        if (destination.Length < 12)
        {
            return false;
        }

        destination[0] = 0;
        destination[1] = udp ? OpMapUdp : OpMapTcp;
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], 0);
        BinaryPrimitives.WriteUInt16BigEndian(destination[4..], internalPort);
        BinaryPrimitives.WriteUInt16BigEndian(destination[6..], suggestedExternalPort);
        BinaryPrimitives.WriteUInt32BigEndian(destination[8..], lifetimeSeconds);
        written = 12;
        return true;
    }

    /// <summary>Reads the common header; false unless version 0 and opcode == <paramref name="requestOpcode"/> + 128.</summary>
    public static bool TryReadHeader(ReadOnlySpan<byte> datagram, byte requestOpcode, out ushort resultCode, out uint epochSeconds)
    {
        resultCode = 0;
        epochSeconds = 0;
        if (datagram.Length < 8 || datagram[0] != 0 || datagram[1] != requestOpcode + 128)
        {
            return false;
        }

        resultCode = BinaryPrimitives.ReadUInt16BigEndian(datagram[2..]);
        epochSeconds = BinaryPrimitives.ReadUInt32BigEndian(datagram[4..]);
        return true;
    }

    public static bool TryReadExternalAddressResponse(ReadOnlySpan<byte> datagram, out NatPmpExternalAddress response)
    {
        response = default;
        if (datagram.Length < 12 || !TryReadHeader(datagram, OpExternalAddress, out ushort result, out uint epoch) || result != 0)
        {
            return false;
        }

        response = new NatPmpExternalAddress(epoch, new IPAddress(datagram.Slice(8, 4)));
        return true;
    }

    public static bool TryReadMapResponse(ReadOnlySpan<byte> datagram, bool udp, out NatPmpMapping response)
    {
        response = default;
        if (datagram.Length < 16 || !TryReadHeader(datagram, udp ? OpMapUdp : OpMapTcp, out ushort result, out uint epoch) || result != 0)
        {
            return false;
        }

        response = new NatPmpMapping(
            epoch,
            BinaryPrimitives.ReadUInt16BigEndian(datagram[8..]),
            BinaryPrimitives.ReadUInt16BigEndian(datagram[10..]),
            BinaryPrimitives.ReadUInt32BigEndian(datagram[12..]));
        return true;
    }
}

/// <summary>A NAT-PMP external-address answer.</summary>
internal readonly record struct NatPmpExternalAddress(uint EpochSeconds, IPAddress Address);

/// <summary>A NAT-PMP mapping answer.</summary>
internal readonly record struct NatPmpMapping(uint EpochSeconds, ushort InternalPort, ushort ExternalPort, uint LifetimeSeconds);
