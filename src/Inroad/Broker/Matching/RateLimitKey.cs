using System.Buffers.Binary;
using System.Net;

namespace Inroad.Broker.Matching;

/// <summary>
/// The unit of per-IP limits: an IPv4 address, or an IPv6 address masked to its /56 (one customer's
/// allocation, so one household cannot take a thousand slots by cycling addresses).
/// </summary>
internal readonly record struct RateLimitKey(UInt128 Value)
{
    private static readonly UInt128 Ipv6Mask56 = UInt128.MaxValue << 72;

    /// <summary>The key for an observed peer address (IPv4-mapped IPv6 counts as IPv4).</summary>
    public static RateLimitKey From(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        Span<byte> bytes = stackalloc byte[16];
        if (address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork)
        {
            bytes.Clear();
            _ = address.TryWriteBytes(bytes[12..], out _);
            bytes[10] = 0xFF;
            bytes[11] = 0xFF;
            return new RateLimitKey(BinaryPrimitives.ReadUInt128BigEndian(bytes));
        }

        _ = address.TryWriteBytes(bytes, out _);
        return new RateLimitKey(BinaryPrimitives.ReadUInt128BigEndian(bytes) & Ipv6Mask56);
    }

    public override string ToString() => "RateLimitKey(redacted)";
}
