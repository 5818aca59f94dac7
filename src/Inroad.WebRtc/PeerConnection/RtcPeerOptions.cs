using System.Net;
using Inroad.WebRtc.Dtls;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Inroad.WebRtc.PeerConnection;

/// <summary>Options of <see cref="RtcPeerConnection"/>.</summary>
public sealed class RtcPeerOptions
{
    /// <summary>Gather loopback host candidates (tests and the single-machine demo only). Defaults to false.</summary>
    public bool IncludeLoopback { get; set; }

    /// <summary>Host addresses to use instead of the ones the OS routes with; null gathers them. Defaults to null.</summary>
    public IReadOnlyList<IPAddress>? HostAddresses { get; set; }

    /// <summary>STUN servers for server-reflexive candidates. Defaults to none.</summary>
    public IReadOnlyList<IPEndPoint> StunServers { get; set; } = [];

    /// <summary>Externally mapped endpoints (UPnP-IGD, NAT-PMP, PCP) advertised as host candidates. Defaults to none.</summary>
    public IReadOnlyList<IPEndPoint> InjectedCandidates { get; set; } = [];

    /// <summary>Local UDP port; 0 picks one. Defaults to 0.</summary>
    public int Port { get; set; }

    /// <summary>
    /// 32-byte seed from which the DTLS ClientHello profile is chosen (the client's root obfuscation secret),
    /// so a successful shape can be replayed. Null draws a fresh one. Defaults to null.
    /// </summary>
    public byte[]? ShapeSeed { get; set; }

    /// <summary>Which DTLS profiles may be chosen. Defaults to Chromium, Firefox and randomized.</summary>
    public DtlsProfileChoice ProfileChoice { get; set; } = new();

    /// <summary>Time from <see cref="RtcPeerConnection.ConnectAsync"/> to an established SCTP association. Defaults to 30 s.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Time to gather candidates before the description is returned. Defaults to 2 s.</summary>
    public TimeSpan GatheringTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// How long a connected peer may go without answering consent checks (RFC 7675) before the connection fails
    /// and its channels end: how soon a peer that vanished without a word is noticed. Defaults to 30 s, as browsers.
    /// </summary>
    public TimeSpan ConsentTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Keep the socket on the portable path (no UDP GRO/GSO, no receive thread, no in-place DTLS records).
    /// Defaults to false; for tests of the fallback and for comparison benchmarks.
    /// </summary>
    internal bool DisableDatapathOffloads { get; set; }

    /// <summary>Clock of every layer. Defaults to the system clock.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Loggers of every layer. Defaults to none.</summary>
    public ILoggerFactory LoggerFactory { get; set; } = NullLoggerFactory.Instance;

    /// <summary>
    /// A copy for one connection with its own shape seed (the client's root obfuscation secret), so a template can be
    /// shared by every connection a proxy or client makes. Collections are shared, not copied.
    /// </summary>
    public RtcPeerOptions ForConnection(ReadOnlySpan<byte> shapeSeed)
    {
        var copy = (RtcPeerOptions)MemberwiseClone();
        copy.ShapeSeed = shapeSeed.ToArray();
        return copy;
    }

    /// <summary>Throws naming the first bad property.</summary>
    public void Validate()
    {
        if (ShapeSeed is { Length: not 32 })
        {
            throw new ArgumentException("ShapeSeed must be 32 bytes.", nameof(ShapeSeed));
        }

        if (Port is < 0 or > 65535)
        {
            throw new ArgumentOutOfRangeException(nameof(Port), Port, "Must be a UDP port or 0.");
        }

        if (ConnectTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(ConnectTimeout), ConnectTimeout, "Must be positive.");
        }

        if (GatheringTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(GatheringTimeout), GatheringTimeout, "Must be positive.");
        }

        if (ConsentTimeout < TimeSpan.FromSeconds(1) || ConsentTimeout > TimeSpan.FromMinutes(10))
        {
            throw new ArgumentOutOfRangeException(nameof(ConsentTimeout), ConsentTimeout, "Must be from 1 s to 10 min.");
        }

        ArgumentNullException.ThrowIfNull(ProfileChoice, nameof(ProfileChoice));
        ProfileChoice.Validate();
    }
}
