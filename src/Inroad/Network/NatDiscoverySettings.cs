namespace Inroad.Network;

/// <summary>
/// Background NAT type discovery for the metrics a peer reports (design §7: discover once per network, in the
/// background; until then the type is unknown, and nothing waits for it). Immutable once handed to <see cref="HostNat"/>.
/// </summary>
internal sealed record NatDiscoverySettings
{
    /// <summary>Whether discovery runs. Defaults to true.</summary>
    public bool Enabled { get; init; } = true;

    /// <summary>RFC 5780 STUN servers (host:port), tried in order until one gives a complete answer. Defaults to none (no discovery).</summary>
    public IReadOnlyList<string> StunServers { get; init; } = [];

    /// <summary>Time for one STUN round trip. Defaults to 2 s (design §7).</summary>
    public TimeSpan RoundTripTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Time for one server's whole discovery. Defaults to 10 s (design §7).</summary>
    public TimeSpan OverallTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a result is kept for a network. Defaults to 1 h.</summary>
    public TimeSpan ResultLifetime { get; init; } = TimeSpan.FromHours(1);

    /// <summary>Throws naming the first bad property.</summary>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(StunServers, nameof(StunServers));
        foreach (string server in StunServers)
        {
            if (!HostNat.TrySplitHostPort(server, out _, out _))
            {
                throw new ArgumentException($"Not host:port: '{server}'.", nameof(StunServers));
            }
        }

        PortMappingSettings.Within(RoundTripTimeout, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(10), nameof(RoundTripTimeout));
        PortMappingSettings.Within(OverallTimeout, RoundTripTimeout, TimeSpan.FromMinutes(1), nameof(OverallTimeout));
        PortMappingSettings.Within(ResultLifetime, TimeSpan.FromSeconds(1), TimeSpan.FromDays(7), nameof(ResultLifetime));
    }
}
