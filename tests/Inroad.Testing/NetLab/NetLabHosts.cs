using System.Net;

namespace Inroad.Testing.NetLab;

/// <summary>Fixed names and addresses of the lab (they match <c>scripts/netlab.sh</c>).</summary>
public static class NetLabHosts
{
    /// <summary>Host names usable with <see cref="NetLab.Namespace"/>, <see cref="NetLab.RunIn{T}"/> and friends.</summary>
    public const string Pub = "pub", Stun = "stun", Broker = "broker", Server = "server",
        NatA = "natA", NatB = "natB", Client = "client", Proxy = "proxy";

    /// <summary>coturn's primary address (port 3478; alternate port 3479).</summary>
    public static readonly IPAddress StunPrimary = IPAddress.Parse("203.0.113.10");

    /// <summary>coturn's second address (RFC 5780 OTHER-ADDRESS is 203.0.113.11:3479).</summary>
    public static readonly IPAddress StunSecondary = IPAddress.Parse("203.0.113.11");

    /// <summary>The broker host.</summary>
    public static readonly IPAddress BrokerAddress = IPAddress.Parse("203.0.113.20");

    /// <summary>A plain public server host.</summary>
    public static readonly IPAddress ServerAddress = IPAddress.Parse("203.0.113.30");

    /// <summary>natA's WAN (public) address.</summary>
    public static readonly IPAddress NatAWan = IPAddress.Parse("203.0.113.101");

    /// <summary>natB's WAN (public) address.</summary>
    public static readonly IPAddress NatBWan = IPAddress.Parse("198.51.100.102");

    /// <summary>natA's LAN address (client's gateway).</summary>
    public static readonly IPAddress NatALan = IPAddress.Parse("198.18.1.1");

    /// <summary>natB's LAN address (proxy's gateway; NAT-PMP/PCP on 5351, UPnP on 5000 when miniupnpd runs).</summary>
    public static readonly IPAddress NatBLan = IPAddress.Parse("198.18.2.1");

    /// <summary>The client host behind natA.</summary>
    public static readonly IPAddress ClientAddress = IPAddress.Parse("198.18.1.10");

    /// <summary>The proxy host behind natB.</summary>
    public static readonly IPAddress ProxyAddress = IPAddress.Parse("198.18.2.10");

    /// <summary>coturn's STUN endpoint.</summary>
    public static IPEndPoint StunEndPoint => new(StunPrimary, 3478);
}
