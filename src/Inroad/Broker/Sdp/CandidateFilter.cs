using System.Net;
using System.Net.Sockets;
using System.Text;
using Inroad.Broker.Matching;
using Inroad.Geo;

namespace Inroad.Broker.Sdp;

/// <summary>
/// Filters the <c>a=candidate</c> lines of an SDP the broker forwards (design §4.7): drops non-IP (mDNS)
/// candidates, bogons (private ranges survive only in personal mode), and candidates whose GeoIP differs
/// from the peer's broker-observed address (country and ASN for IPv4, ASN only for IPv6; personal mode
/// keeps them and counts them). Line-based: other lines pass through untouched; the full SDP model lives
/// in <c>Inroad.WebRtc/Sdp</c>.
/// </summary>
internal sealed class CandidateFilter
{
    private readonly IGeoLookup _geo;
    private readonly bool _allowBogons;

    /// <summary>Creates a filter; <paramref name="allowBogons"/> is for labs and tests on private or loopback addresses.</summary>
    public CandidateFilter(IGeoLookup geo, bool allowBogons = false)
    {
        ArgumentNullException.ThrowIfNull(geo);
        _geo = geo;
        _allowBogons = allowBogons;
    }

    /// <summary>
    /// Filters <paramref name="sdp"/>. False when an answer would be left without a candidate (the caller
    /// rejects it); offers may end with none.
    /// </summary>
    public bool TryFilter(string sdp, GeoKey peerGeo, bool personal, bool isAnswer, out string filtered, out CandidateFilterResult result)
    {
        ArgumentNullException.ThrowIfNull(sdp);
        var output = new StringBuilder(sdp.Length);
        result = default;
        foreach (Range range in sdp.AsSpan().Split('\n'))
        {
            ReadOnlySpan<char> line = sdp.AsSpan()[range];
            if (line.IsEmpty && range.End.Value == sdp.Length)
            {
                break;
            }

            ReadOnlySpan<char> content = line.TrimEnd('\r');
            if (content.StartsWith("a=candidate:", StringComparison.Ordinal))
            {
                if (!Keep(content, peerGeo, personal, ref result))
                {
                    result.Dropped++;
                    continue;
                }

                result.Kept++;
            }

            output.Append(line).Append('\n');
        }

        filtered = output.ToString();
        return !isAnswer || result.Kept > 0;
    }

    private bool Keep(ReadOnlySpan<char> line, GeoKey peerGeo, bool personal, ref CandidateFilterResult result)
    {
        // a=candidate:<foundation> <component> <transport> <priority> <address> <port> typ <type> ...
        Span<Range> fields = stackalloc Range[7];
        int count = line.Split(fields, ' ', StringSplitOptions.RemoveEmptyEntries);
        if (count < 6 || !IPAddress.TryParse(line[fields[4]], out IPAddress? address))
        {
            return false; // mDNS names and garbage
        }

        if (IsBogon(address))
        {
            return _allowBogons || (personal && IsPrivate(address));
        }

        GeoKey candidateGeo = _geo.Lookup(address);
        bool mismatch = address.AddressFamily == AddressFamily.InterNetwork
            ? candidateGeo.Country != peerGeo.Country || candidateGeo.Asn != peerGeo.Asn
            : candidateGeo.Asn != peerGeo.Asn;
        if (mismatch && peerGeo != GeoKey.Unknown)
        {
            if (!personal)
            {
                return false;
            }

            if (result.GeoMismatches++ == 0)
            {
                result.FirstMismatch = candidateGeo;
            }
        }

        return true;
    }

    /// <summary>RFC 1918 and RFC 4193 private ranges.</summary>
    public static bool IsPrivate(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        Span<byte> b = stackalloc byte[16];
        _ = address.TryWriteBytes(b, out int n);
        return n == 4
            ? b[0] == 10 || (b[0] == 172 && (b[1] & 0xF0) == 16) || (b[0] == 192 && b[1] == 168)
            : (b[0] & 0xFE) == 0xFC;
    }

    /// <summary>Addresses that are not publicly routable: private, loopback, link-local, CGNAT, documentation, multicast, reserved.</summary>
    public static bool IsBogon(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        Span<byte> b = stackalloc byte[16];
        _ = address.TryWriteBytes(b, out int n);
        if (n == 4)
        {
            return b[0] is 0 or 10 or 127 or >= 224
                || (b[0] == 100 && (b[1] & 0xC0) == 64)
                || (b[0] == 169 && b[1] == 254)
                || (b[0] == 172 && (b[1] & 0xF0) == 16)
                || (b[0] == 192 && b[1] == 0 && b[2] is 0 or 2)
                || (b[0] == 192 && b[1] == 168)
                || (b[0] == 198 && (b[1] & 0xFE) == 18)
                || (b[0] == 198 && b[1] == 51 && b[2] == 100)
                || (b[0] == 203 && b[1] == 0 && b[2] == 113);
        }

        return address.Equals(IPAddress.IPv6Any) || address.Equals(IPAddress.IPv6Loopback)
            || (b[0] & 0xFE) == 0xFC            // fc00::/7 unique local
            || (b[0] == 0xFE && (b[1] & 0xC0) == 0x80) // fe80::/10 link local
            || b[0] == 0xFF                     // multicast
            || (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0D && b[3] == 0xB8) // 2001:db8::/32 documentation
            || (b[0] & 0xE0) != 0x20;           // outside 2000::/3 global unicast
    }
}
