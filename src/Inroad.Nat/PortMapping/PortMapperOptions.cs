using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace Inroad.Nat.PortMapping;

/// <summary>Creates a socket; lets tests (and split-tunnel setups) decide where sockets live.</summary>
public delegate Socket SocketFactory(AddressFamily family, SocketType type, ProtocolType protocol);

/// <summary>Settings of <see cref="PortMapper"/>. Checked by <see cref="Validate"/> before any I/O.</summary>
public sealed class PortMapperOptions
{
    /// <summary>The gateway to ask. Defaults to null: the IPv4 default gateway from the routing table.</summary>
    public IPAddress? Gateway { get; set; }

    /// <summary>How long each protocol's probe may take. Defaults to 2 s (a LAN gateway answers in milliseconds).</summary>
    public TimeSpan ProbeTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Wait before a PCP/NAT-PMP request is sent again; it doubles with each resend until the exchange's timeout
    /// (<see cref="ProbeTimeout"/>). Defaults to 250 ms (RFC 6886 §3.1).
    /// </summary>
    public TimeSpan FirstRetransmitDelay { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Lifetime asked for. Defaults to 7200 s (the in-proxy design's value); RFC 6886 recommends 7200 s.</summary>
    public TimeSpan RequestedLifetime { get; set; } = TimeSpan.FromSeconds(7200);

    /// <summary>Whether UPnP-IGD is tried. Defaults to true.</summary>
    public bool EnableUpnp { get; set; } = true;

    /// <summary>Whether NAT-PMP is tried. Defaults to true.</summary>
    public bool EnableNatPmp { get; set; } = true;

    /// <summary>Whether PCP is tried. Defaults to true.</summary>
    public bool EnablePcp { get; set; } = true;

    /// <summary>
    /// Whether a gateway reporting a private, CGNAT or documentation external address is used anyway. Defaults
    /// to true: such a mapping still opens the first NAT, and the lab's addresses are documentation ranges.
    /// </summary>
    public bool AcceptNonPublicExternalAddress { get; set; } = true;

    /// <summary>
    /// Whether live leases listen on UDP 5350 for the gateway's unsolicited PCP ANNOUNCE and NAT-PMP address
    /// announcements and map again at once when the gateway restarted (RFC 6887 §14.1.3, RFC 6886 §3.2.1).
    /// Defaults to true; without it a restarted gateway is noticed only at the next renewal (half the lifetime).
    /// </summary>
    public bool ListenForAnnouncements { get; set; } = true;

    /// <summary>Where announcements are received. Defaults to 0.0.0.0:5350 (unicast and 224.0.0.1); tests use loopback.</summary>
    internal IPEndPoint AnnouncementEndPoint { get; set; } = new(IPAddress.Any, PcpCodec.ClientAnnouncePort);

    /// <summary>Creates every socket. Defaults to ordinary sockets.</summary>
    public SocketFactory SocketFactory { get; set; } = static (f, t, p) => new Socket(f, t, p);

    /// <summary>Clock for renewals and timeouts. Defaults to the system clock.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Logger factory. Defaults to null (no logging).</summary>
    public ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first bad property.</summary>
    public void Validate()
    {
        if (ProbeTimeout < TimeSpan.FromMilliseconds(100) || ProbeTimeout > TimeSpan.FromSeconds(30))
        {
            throw new ArgumentOutOfRangeException(nameof(ProbeTimeout), ProbeTimeout, "ProbeTimeout must be within 100 ms..30 s.");
        }

        if (FirstRetransmitDelay < TimeSpan.FromMilliseconds(50) || FirstRetransmitDelay > TimeSpan.FromSeconds(30))
        {
            throw new ArgumentOutOfRangeException(nameof(FirstRetransmitDelay), FirstRetransmitDelay, "FirstRetransmitDelay must be within 50 ms..30 s.");
        }

        if (RequestedLifetime < TimeSpan.FromSeconds(120) || RequestedLifetime > TimeSpan.FromDays(1))
        {
            throw new ArgumentOutOfRangeException(nameof(RequestedLifetime), RequestedLifetime, "RequestedLifetime must be within 120 s..1 day.");
        }

        if (Gateway is not null && Gateway.AddressFamily != AddressFamily.InterNetwork)
        {
            throw new ArgumentOutOfRangeException(nameof(Gateway), Gateway, "Gateway must be an IPv4 address.");
        }

        ArgumentNullException.ThrowIfNull(SocketFactory);
        ArgumentNullException.ThrowIfNull(TimeProvider);
    }
}
