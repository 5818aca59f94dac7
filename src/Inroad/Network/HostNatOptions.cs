using Inroad.Nat.Discovery;
using Microsoft.Extensions.Logging;

namespace Inroad.Network;

/// <summary>Options of <see cref="HostNat"/>.</summary>
internal sealed class HostNatOptions
{
    /// <summary>Port mapping. Defaults to enabled, default gateway.</summary>
    public PortMappingSettings PortMapping { get; set; } = new();

    /// <summary>NAT discovery. Defaults to enabled with no servers (so: nothing runs until servers are given).</summary>
    public NatDiscoverySettings Discovery { get; set; } = new();

    /// <summary>Clock. Defaults to the system clock.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Loggers (category Inroad.Network). Defaults to none.</summary>
    public ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>Replaces the gateway port mapper (tests). Defaults to null: a <see cref="Nat.PortMapping.PortMapper"/>.</summary>
    internal IUdpPortMapper? Mapper { get; set; }

    /// <summary>Replaces RFC 5780 discovery against the servers (tests). Defaults to null.</summary>
    internal Func<CancellationToken, Task<NatDiscoveryResult>>? Discover { get; set; }

    /// <summary>Whether the host's address change notifications re-probe and re-discover. Defaults to true.</summary>
    internal bool WatchNetworkChanges { get; set; } = true;

    /// <summary>Throws naming the first bad property.</summary>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(PortMapping, nameof(PortMapping));
        PortMapping.Validate();
        ArgumentNullException.ThrowIfNull(Discovery, nameof(Discovery));
        Discovery.Validate();
        ArgumentNullException.ThrowIfNull(TimeProvider, nameof(TimeProvider));
    }
}
