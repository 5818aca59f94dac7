using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Inroad.WebRtc.Stun;

/// <summary>Reads and writes the address attributes (MAPPED-ADDRESS family and XOR-MAPPED-ADDRESS, RFC 8489 §14.1–14.2).</summary>
internal static class StunAddressCodec
{
    public const uint MagicCookie = 0x2112A442;
    private const byte FamilyIPv4 = 0x01;
    private const byte FamilyIPv6 = 0x02;

    /// <summary>Value length of an address attribute for this endpoint (8 for IPv4, 20 for IPv6).</summary>
    public static int ValueLength(IPEndPoint endPoint) => Normalize(endPoint.Address).AddressFamily == AddressFamily.InterNetwork ? 8 : 20;

    /// <summary>IPv4-mapped IPv6 addresses (from dual-mode sockets) go on the wire as IPv4.</summary>
    public static IPAddress Normalize(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    /// <param name="xorKey">null for plain addresses; the 16 bytes cookie||transaction ID for XOR-MAPPED-ADDRESS.</param>
    public static bool TryRead(ReadOnlySpan<byte> value, ReadOnlySpan<byte> xorKey, out IPEndPoint? endPoint)
    {
        endPoint = null;
        if (value.Length < 4)
        {
            return false;
        }

        byte family = value[1];
        ushort port = BinaryPrimitives.ReadUInt16BigEndian(value[2..]);
        int addressLength = family switch
        {
            FamilyIPv4 => 4,
            FamilyIPv6 => 16,
            _ => -1,
        };
        if (addressLength < 0 || value.Length != 4 + addressLength)
        {
            return false;
        }

        Span<byte> address = stackalloc byte[addressLength];
        value.Slice(4, addressLength).CopyTo(address);
        if (!xorKey.IsEmpty)
        {
            port ^= (ushort)(MagicCookie >> 16);
            for (int i = 0; i < addressLength; i++)
            {
                address[i] ^= xorKey[i];
            }
        }

        endPoint = new IPEndPoint(new IPAddress(address), port);
        return true;
    }

    public static int Write(Span<byte> value, IPEndPoint endPoint, ReadOnlySpan<byte> xorKey)
    {
        IPAddress ip = Normalize(endPoint.Address);
        bool v4 = ip.AddressFamily == AddressFamily.InterNetwork;
        int addressLength = v4 ? 4 : 16;
        value[0] = 0;
        value[1] = v4 ? FamilyIPv4 : FamilyIPv6;
        ushort port = (ushort)endPoint.Port;
        if (!xorKey.IsEmpty)
        {
            port ^= (ushort)(MagicCookie >> 16);
        }

        BinaryPrimitives.WriteUInt16BigEndian(value[2..], port);
        Span<byte> address = value.Slice(4, addressLength);
        ip.TryWriteBytes(address, out _);
        if (!xorKey.IsEmpty)
        {
            for (int i = 0; i < addressLength; i++)
            {
                address[i] ^= xorKey[i];
            }
        }

        return 4 + addressLength;
    }
}
