using System.Net;
using System.Net.Sockets;
using Inroad.WebRtc.Ice;

namespace Inroad.WebRtc.Sdp;

/// <summary>
/// Candidate filtering for the broker and for our own descriptions (in-proxy-design.md §4.7, §6.2): drop bogons
/// (addresses that cannot be reached across the internet), optionally keep private ones, filter by family.
/// </summary>
internal static class CandidateFilter
{
    private static readonly IPNetwork[] PrivateNetworks =
    [
        IPNetwork.Parse("10.0.0.0/8"),
        IPNetwork.Parse("172.16.0.0/12"),
        IPNetwork.Parse("192.168.0.0/16"),
        IPNetwork.Parse("fc00::/7"),
    ];

    private static readonly IPNetwork[] Bogons =
    [
        IPNetwork.Parse("0.0.0.0/8"),
        IPNetwork.Parse("10.0.0.0/8"),
        IPNetwork.Parse("100.64.0.0/10"),
        IPNetwork.Parse("127.0.0.0/8"),
        IPNetwork.Parse("169.254.0.0/16"),
        IPNetwork.Parse("172.16.0.0/12"),
        IPNetwork.Parse("192.0.0.0/24"),
        IPNetwork.Parse("192.0.2.0/24"),
        IPNetwork.Parse("192.168.0.0/16"),
        IPNetwork.Parse("198.18.0.0/15"),
        IPNetwork.Parse("198.51.100.0/24"),
        IPNetwork.Parse("203.0.113.0/24"),
        IPNetwork.Parse("224.0.0.0/4"),
        IPNetwork.Parse("240.0.0.0/4"),
        IPNetwork.Parse("::/128"),
        IPNetwork.Parse("::1/128"),
        IPNetwork.Parse("::ffff:0:0/96"),
        IPNetwork.Parse("64:ff9b:1::/48"),
        IPNetwork.Parse("100::/64"),
        IPNetwork.Parse("2001:db8::/32"),
        IPNetwork.Parse("2001:10::/28"),
        IPNetwork.Parse("fc00::/7"),
        IPNetwork.Parse("fe80::/10"),
        IPNetwork.Parse("fec0::/10"),
        IPNetwork.Parse("ff00::/8"),
    ];

    /// <summary>RFC 1918 or RFC 4193.</summary>
    public static bool IsPrivate(IPAddress address) => Array.Exists(PrivateNetworks, n => n.Contains(Unmap(address)));

    /// <summary>Not routable on the public internet: special-purpose (RFC 6890), private, loopback, link-local, multicast, documentation.</summary>
    public static bool IsBogon(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        IPAddress a = Unmap(address);
        return Array.Exists(Bogons, n => n.Contains(a)) || a.Equals(IPAddress.Broadcast);
    }

    public static bool Keep(IceCandidate candidate, CandidateFilterPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        ArgumentNullException.ThrowIfNull(policy);
        IPAddress a = Unmap(candidate.EndPoint.Address);
        if (a.AddressFamily == AddressFamily.InterNetwork ? !policy.AllowIPv4 : !policy.AllowIPv6)
        {
            return false;
        }

        if (!IsBogon(a) || policy.AlsoAllow.Any(n => n.Contains(a)))
        {
            return true;
        }

        return policy.AllowPrivate && IsPrivate(a);
    }

    public static IReadOnlyList<IceCandidate> Filter(IEnumerable<IceCandidate> candidates, CandidateFilterPolicy policy) =>
        candidates.Where(c => Keep(c, policy)).ToArray();

    /// <summary>A copy of <paramref name="description"/> with only the candidates <paramref name="policy"/> keeps.</summary>
    public static SessionDescription Filter(SessionDescription description, CandidateFilterPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(description);
        return description with { Candidates = Filter(description.Candidates, policy) };
    }

    private static IPAddress Unmap(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
}
