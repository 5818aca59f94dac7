using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace Inroad.Network;

/// <summary>Turns the <c>portMapping</c> and <c>natDiscovery</c> sections of a role's file into <see cref="HostNatOptions"/>.</summary>
internal static class HostNatConfig
{
    /// <summary>Throws <see cref="InvalidDataException"/> naming the bad field.</summary>
    public static void Validate(PortMappingConfig? portMapping, NatDiscoveryConfig? discovery)
    {
        if (portMapping?.Gateway is { } gateway && !(IPAddress.TryParse(gateway, out IPAddress? ip) && ip.AddressFamily == AddressFamily.InterNetwork))
        {
            throw new InvalidDataException("portMapping.gateway: not an IPv4 address");
        }

        foreach (string server in discovery?.StunServers ?? [])
        {
            if (!HostNat.TrySplitHostPort(server, out _, out _))
            {
                throw new InvalidDataException($"natDiscovery.stunServers: '{server}' is not host:port");
            }
        }
    }

    /// <summary>
    /// Options from the two sections (either may be absent: both default to on). Discovery servers default to
    /// <paramref name="defaultStunServers"/> (the embedded configuration's).
    /// </summary>
    public static HostNatOptions ToOptions(PortMappingConfig? portMapping, NatDiscoveryConfig? discovery, IReadOnlyList<string> defaultStunServers, ILoggerFactory? loggerFactory)
    {
        portMapping ??= new PortMappingConfig();
        discovery ??= new NatDiscoveryConfig();
        return new HostNatOptions
        {
            PortMapping = new PortMappingSettings
            {
                Enabled = portMapping.Enabled,
                Gateway = portMapping.Gateway is null ? null : IPAddress.Parse(portMapping.Gateway),
            },
            Discovery = new NatDiscoverySettings
            {
                Enabled = discovery.Enabled,
                StunServers = discovery.StunServers ?? [.. defaultStunServers],
            },
            LoggerFactory = loggerFactory,
        };
    }
}
