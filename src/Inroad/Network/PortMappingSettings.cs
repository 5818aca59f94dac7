using System.Net;
using System.Net.Sockets;

namespace Inroad.Network;

/// <summary>
/// Port mapping for peer connections (design §4.3, §8.1: a proxy behind a NAT it controls maps its WebRTC port and
/// advertises the mapping, which makes it reachable from any client). Immutable once handed to <see cref="HostNat"/>.
/// </summary>
internal sealed record PortMappingSettings
{
    /// <summary>Whether the gateway is asked at all. Defaults to true.</summary>
    public bool Enabled { get; init; } = true;

    /// <summary>The gateway to ask; null reads the IPv4 default gateway from the routing table. Defaults to null.</summary>
    public IPAddress? Gateway { get; init; }

    /// <summary>Time for each protocol's probe. Defaults to 2 s (a LAN gateway answers in milliseconds).</summary>
    public TimeSpan ProbeTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Time for one connection's mapping request (all protocols together). It is spent before the answer is made, so it is
    /// short; a slower gateway just means normal candidates. Defaults to 2 s.
    /// </summary>
    public TimeSpan MapTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>How long a probe result is believed (a network change or a failed mapping forgets it sooner). Defaults to 10 min.</summary>
    public TimeSpan ProbeLifetime { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Which protocols may be used. Defaults to all three.</summary>
    public bool EnablePcp { get; init; } = true;

    /// <inheritdoc cref="EnablePcp"/>
    public bool EnableNatPmp { get; init; } = true;

    /// <inheritdoc cref="EnablePcp"/>
    public bool EnableUpnp { get; init; } = true;

    /// <summary>Throws naming the first bad property.</summary>
    public void Validate()
    {
        if (Gateway is { AddressFamily: not AddressFamily.InterNetwork })
        {
            throw new ArgumentOutOfRangeException(nameof(Gateway), Gateway, "Must be an IPv4 address.");
        }

        Within(ProbeTimeout, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(30), nameof(ProbeTimeout));
        Within(MapTimeout, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(30), nameof(MapTimeout));
        Within(ProbeLifetime, TimeSpan.FromSeconds(1), TimeSpan.FromDays(1), nameof(ProbeLifetime));
    }

    internal static void Within(TimeSpan value, TimeSpan min, TimeSpan max, string name)
    {
        if (value < min || value > max)
        {
            throw new ArgumentOutOfRangeException(name, value, $"Must be within {min}..{max}.");
        }
    }
}
