using System.Net;
using System.Net.Sockets;

namespace Inroad.Server;

/// <summary>An address prefix such as 198.18.0.0/15 or fc00::/7.</summary>
public readonly record struct IpNetwork(IPAddress Prefix, int PrefixLength)
{
    /// <summary>Parses "address/length" (or a bare address, as a host route). Throws <see cref="FormatException"/>.</summary>
    public static IpNetwork Parse(string text)
    {
        ArgumentException.ThrowIfNullOrEmpty(text);
        int slash = text.IndexOf('/', StringComparison.Ordinal);
        string address = slash < 0 ? text : text[..slash];
        if (!IPAddress.TryParse(address, out IPAddress? prefix))
        {
            throw new FormatException($"'{text}' is not an address prefix.");
        }

        int max = prefix.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;
        int length = max;
        if (slash >= 0 && (!int.TryParse(text.AsSpan(slash + 1), out length) || length < 0 || length > max))
        {
            throw new FormatException($"'{text}' has a bad prefix length (0..{max}).");
        }

        return new IpNetwork(prefix, length);
    }

    /// <summary>True when <paramref name="address"/> lies in this prefix (IPv4-mapped IPv6 compares as IPv4).</summary>
    public bool Contains(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (address.AddressFamily != Prefix.AddressFamily)
        {
            return false;
        }

        Span<byte> a = stackalloc byte[16];
        Span<byte> p = stackalloc byte[16];
        address.TryWriteBytes(a, out int length);
        Prefix.TryWriteBytes(p, out _);
        int full = PrefixLength / 8;
        if (!a[..full].SequenceEqual(p[..full]))
        {
            return false;
        }

        int rest = PrefixLength % 8;
        if (rest == 0 || full >= length)
        {
            return true;
        }

        int mask = 0xFF << (8 - rest) & 0xFF;
        return (a[full] & mask) == (p[full] & mask);
    }

    public override string ToString() => $"{Prefix}/{PrefixLength}";
}
