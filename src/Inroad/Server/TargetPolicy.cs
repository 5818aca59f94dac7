using System.Net;

namespace Inroad.Server;

/// <summary>
/// Which addresses a tunnel stream may reach. Private, loopback, link-local, CGNAT, multicast and
/// documentation ranges are denied by default so a client cannot use the tunnel server to reach the
/// server's own network; an explicit allow entry wins over a deny entry.
/// </summary>
public sealed class TargetPolicy
{
    /// <summary>Ranges no tunnel stream reaches unless allowed explicitly.</summary>
    public static IReadOnlyList<IpNetwork> DefaultDenied { get; } =
    [
        .. new[]
        {
            "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
            "192.0.0.0/24", "192.0.2.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24",
            "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
            "::/128", "::1/128", "fc00::/7", "fe80::/10", "ff00::/8", "2001:db8::/32", "64:ff9b:1::/48",
        }.Select(IpNetwork.Parse),
    ];

    private readonly IpNetwork[] _allowed;
    private readonly IpNetwork[] _denied;

    public TargetPolicy(IEnumerable<IpNetwork>? allowed = null, IEnumerable<IpNetwork>? denied = null)
    {
        _allowed = allowed?.ToArray() ?? [];
        _denied = denied?.ToArray() ?? [.. DefaultDenied];
    }

    /// <summary>Permits everything; for tests and the loopback-only demo.</summary>
    public static TargetPolicy AllowAll { get; } = new(denied: []);

    /// <summary>True when a stream may connect to <paramref name="address"/>.</summary>
    public bool IsAllowed(IPAddress address)
    {
        foreach (IpNetwork network in _allowed)
        {
            if (network.Contains(address))
            {
                return true;
            }
        }

        foreach (IpNetwork network in _denied)
        {
            if (network.Contains(address))
            {
                return false;
            }
        }

        return true;
    }
}
