using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Inroad.Nat.PortMapping;

/// <summary>
/// PCP messages (RFC 6887 §7, §11 MAP, §14.1 ANNOUNCE). Version 2. Addresses are 16 bytes, IPv4 as
/// <c>::ffff:a.b.c.d</c>. A MAP answer is only ours when its nonce, protocol and internal port match the request
/// (§11.4); the reader returns the fields and the caller checks them. Readers never throw.
/// </summary>
internal static class PcpCodec
{
    public const int Port = 5351;
    public const int ClientAnnouncePort = 5350;
    public const byte Version = 2;
    public const byte OpAnnounce = 0, OpMap = 1;
    public const int HeaderLength = 24, MapDataLength = 36, NonceLength = 12;
    public const byte ResultSuccess = 0, ResultUnsuppVersion = 1;

    public static bool TryWriteAnnounceRequest(Span<byte> destination, IPAddress clientAddress, out int written)
    {
        written = 0;
        if (destination.Length < HeaderLength)
        {
            return false;
        }

        WriteRequestHeader(destination, OpAnnounce, 0, clientAddress);
        written = HeaderLength;
        return true;
    }

    /// <summary>MAP request (§11.1). Lifetime 0 deletes the mapping named by nonce, protocol and internal port.</summary>
    public static bool TryWriteMapRequest(
        Span<byte> destination,
        IPAddress clientAddress,
        ReadOnlySpan<byte> nonce,
        byte protocol,
        ushort internalPort,
        IPEndPoint suggestedExternal,
        uint lifetimeSeconds,
        out int written)
    {
        written = 0;
        if (destination.Length < HeaderLength + MapDataLength || nonce.Length != NonceLength)
        {
            return false;
        }

        WriteRequestHeader(destination, OpMap, lifetimeSeconds, clientAddress);
        Span<byte> map = destination.Slice(HeaderLength, MapDataLength);
        nonce.CopyTo(map);
        map[12] = protocol;
        map[13] = map[14] = map[15] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(map[16..], internalPort);
        BinaryPrimitives.WriteUInt16BigEndian(map[18..], (ushort)suggestedExternal.Port);
        WriteAddress(map[20..], suggestedExternal.Address);
        written = HeaderLength + MapDataLength;
        return true;
    }

    /// <summary>Reads a response header (R bit set, version 2).</summary>
    public static bool TryReadResponseHeader(ReadOnlySpan<byte> datagram, out PcpResponseHeader header)
    {
        header = default;
        if (datagram.Length < HeaderLength || datagram.Length > 1100 || datagram.Length % 4 != 0
            || datagram[0] != Version || (datagram[1] & 0x80) == 0)
        {
            return false;
        }

        header = new PcpResponseHeader(
            (byte)(datagram[1] & 0x7F),
            datagram[3],
            BinaryPrimitives.ReadUInt32BigEndian(datagram[4..]),
            BinaryPrimitives.ReadUInt32BigEndian(datagram[8..]));
        return true;
    }

    /// <summary>Reads a MAP response (header + opcode data; options after it are ignored).</summary>
    public static bool TryReadMapResponse(ReadOnlySpan<byte> datagram, out PcpResponseHeader header, out PcpMapData map)
    {
        map = default;
        if (!TryReadResponseHeader(datagram, out header) || header.Opcode != OpMap || datagram.Length < HeaderLength + MapDataLength)
        {
            return false;
        }

        ReadOnlySpan<byte> data = datagram.Slice(HeaderLength, MapDataLength);
        var address = new IPAddress(data.Slice(20, 16));
        map = new PcpMapData(
            data[..NonceLength].ToArray(),
            data[12],
            BinaryPrimitives.ReadUInt16BigEndian(data[16..]),
            new IPEndPoint(address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address, BinaryPrimitives.ReadUInt16BigEndian(data[18..])));
        return true;
    }

    private static void WriteRequestHeader(Span<byte> d, byte opcode, uint lifetime, IPAddress client)
    {
        d[0] = Version;
        d[1] = opcode;
        d[2] = d[3] = 0;
        BinaryPrimitives.WriteUInt32BigEndian(d[4..], lifetime);
        WriteAddress(d[8..], client);
    }

    private static void WriteAddress(Span<byte> d, IPAddress address)
    {
        IPAddress v6 = address.AddressFamily == AddressFamily.InterNetwork ? address.MapToIPv6() : address;
        v6.TryWriteBytes(d[..16], out _);
    }
}

/// <summary>The fields of a PCP response header.</summary>
internal readonly record struct PcpResponseHeader(byte Opcode, byte ResultCode, uint LifetimeSeconds, uint EpochSeconds);

/// <summary>MAP opcode data of a response.</summary>
internal readonly record struct PcpMapData(byte[] Nonce, byte Protocol, ushort InternalPort, IPEndPoint External);
