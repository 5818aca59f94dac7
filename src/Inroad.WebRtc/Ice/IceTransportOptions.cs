using System.Net;
using System.Net.Sockets;

namespace Inroad.WebRtc.Ice;

/// <summary>Options of <see cref="IceTransport"/>: the socket, which candidates to gather, and the agent.</summary>
internal sealed class IceTransportOptions
{
    /// <summary>The sans-IO agent's options (role, credentials, timers). Defaults to Chromium-like defaults.</summary>
    public IceAgentOptions Agent { get; set; } = new();

    /// <summary>
    /// A bound UDP socket to use instead of making one (for example one opened inside a network namespace).
    /// The transport takes ownership and closes it. Defaults to null: bind a new socket.
    /// </summary>
    public Socket? Socket { get; set; }

    /// <summary>Port to bind when making the socket. Defaults to 0 (ephemeral).</summary>
    public int Port { get; set; }

    /// <summary>Gather IPv4 host candidates. Defaults to true.</summary>
    public bool UseIPv4 { get; set; } = true;

    /// <summary>Gather IPv6 host candidates (the socket is then dual-mode). Defaults to true.</summary>
    public bool UseIPv6 { get; set; } = true;

    /// <summary>Also advertise 127.0.0.1 / ::1. Defaults to false: loopback candidates are only for tests.</summary>
    public bool IncludeLoopback { get; set; }

    /// <summary>
    /// Host addresses to advertise instead of asking the OS which source address it would route with.
    /// Defaults to null (ask the OS: one address per family).
    /// </summary>
    public IReadOnlyList<IPAddress>? HostAddresses { get; set; }

    /// <summary>STUN servers for server-reflexive candidates. Defaults to none.</summary>
    public IReadOnlyList<IPEndPoint> StunServers { get; set; } = [];

    /// <summary>Extra addresses to advertise as host candidates, e.g. a UPnP/PCP port mapping of our socket. Defaults to none.</summary>
    public IReadOnlyList<IPEndPoint> InjectedCandidates { get; set; } = [];

    /// <summary>Bound on server-reflexive gathering. Defaults to 2 s; must be 100 ms..30 s.</summary>
    public TimeSpan GatheringTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Largest datagram the selected-pair transport carries. Defaults to 1200 (Chromium never sends more).</summary>
    public int MaxDatagramSize { get; set; } = 1200;

    /// <summary>
    /// Use only the portable socket calls (async receive, one send per datagram) instead of the Linux path
    /// (receive thread with recvmsg + UDP GRO, sendmsg + UDP GSO). Defaults to false; tests of the fallback set it.
    /// </summary>
    public bool DisableOffloads { get; set; }

    /// <summary>Clock for every timer. Defaults to <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(Agent, nameof(Agent));
        Agent.Validate();
        if (!UseIPv4 && !UseIPv6)
        {
            throw new ArgumentException("At least one of UseIPv4 and UseIPv6 must be set.", nameof(UseIPv4));
        }

        if (Port is < 0 or > 65535)
        {
            throw new ArgumentOutOfRangeException(nameof(Port), Port, "Port must be within 0..65535.");
        }

        if (GatheringTimeout < TimeSpan.FromMilliseconds(100) || GatheringTimeout > TimeSpan.FromSeconds(30))
        {
            throw new ArgumentOutOfRangeException(nameof(GatheringTimeout), GatheringTimeout, "GatheringTimeout must be within 100 ms..30 s.");
        }

        if (MaxDatagramSize is < 576 or > 65507)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxDatagramSize), MaxDatagramSize, "MaxDatagramSize must be within 576..65507.");
        }

        ArgumentNullException.ThrowIfNull(StunServers, nameof(StunServers));
        ArgumentNullException.ThrowIfNull(InjectedCandidates, nameof(InjectedCandidates));
        ArgumentNullException.ThrowIfNull(TimeProvider, nameof(TimeProvider));
    }
}
