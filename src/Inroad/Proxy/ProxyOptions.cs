using Inroad.Brokers;
using Inroad.Protocol;
using Inroad.WebRtc.PeerConnection;
using Microsoft.Extensions.Logging;

namespace Inroad.Proxy;

/// <summary>Options of <see cref="InproxyProxy"/> (design §8). <see cref="ProxyConfig"/> builds them from <c>proxy.json</c>.</summary>
internal sealed class ProxyOptions
{
    /// <summary>The brokers to announce to, with the proxy's long-term identity. Shared: not disposed by the proxy. Required.</summary>
    public BrokerClient? Brokers { get; set; }

    /// <summary>Most common clients served at once; 0 serves none. Ignored with a <see cref="PersonalCompartmentId"/>. Defaults to 2.</summary>
    public int MaxCommonClients { get; set; } = 2;

    /// <summary>Most personal clients served at once; 0 serves none. Defaults to 0.</summary>
    public int MaxPersonalClients { get; set; }

    /// <summary>
    /// The operator's personal compartment: when set, the proxy announces only in it and serves only clients
    /// holding its pairing string (never common clients). Defaults to null.
    /// </summary>
    public Id32? PersonalCompartmentId { get; set; }

    /// <summary>Slots shared with other proxy instances; null makes private ones from the two maxima. Defaults to null.</summary>
    public ProxyLimits? Limits { get; set; }

    /// <summary>Per-client rate of proxy→server writes (client uploads), bytes/s; 0 is unlimited. Defaults to 0.</summary>
    public long LimitUpstreamBytesPerSecond { get; set; }

    /// <summary>Per-client rate of proxy→client writes (client downloads), bytes/s; 0 is unlimited. Defaults to 0.</summary>
    public long LimitDownstreamBytesPerSecond { get; set; }

    /// <summary>A relay with no byte either way for this long is closed (design §6.7). Defaults to 5 min.</summary>
    public TimeSpan InactivityTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Spacing of successive announcements (the first has none), jittered by <see cref="AnnounceDelayJitter"/>; also the backoff unit. Defaults to 100 ms.</summary>
    public TimeSpan AnnounceDelay { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Relative jitter of every delay, 0..1. Defaults to 0.5 (±50 %).</summary>
    public double AnnounceDelayJitter { get; set; } = 0.5;

    /// <summary>Longest backoff after Limited, MustUpgrade or a failed client. Defaults to 1 min.</summary>
    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Pause after a broker transport failure, doubled for each further failure in a row up to
    /// <see cref="MaxTransportRetryDelay"/> and jittered, so a fleet of proxies spreads out instead of retrying an
    /// overloaded broker in step. Separate from the Limited backoff, which transport trouble never escalates
    /// (design §8.1). Defaults to 1 s.
    /// </summary>
    public TimeSpan TransportRetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Longest pause after broker transport failures in a row. Defaults to 30 s.</summary>
    public TimeSpan MaxTransportRetryDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Time to create the WebRTC answer, gathering included. Defaults to 20 s.</summary>
    public TimeSpan AnswerTimeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>Time from the answer to the client's data channel (ICE, DTLS, SCTP, DCEP). Defaults to 30 s.</summary>
    public TimeSpan ReadyTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Time to dial the destination the broker named. Defaults to 20 s.</summary>
    public TimeSpan DestinationDialTimeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>
    /// WebRTC template (loopback candidates, STUN servers, injected port mappings, DTLS profiles). The proxy
    /// copies it per client and sets <see cref="RtcPeerOptions.ShapeSeed"/> to the client's root secret.
    /// Defaults to the stack's defaults.
    /// </summary>
    public RtcPeerOptions WebRtc { get; set; } = new();

    /// <summary>Our NAT type as discovered (reported in announcements for matching) when there is no <see cref="Nat"/>. Defaults to unknown.</summary>
    public NatType NatType { get; set; }

    /// <summary>Port mapping types available (reported in announcements) when there is no <see cref="Nat"/>. Defaults to none.</summary>
    public IReadOnlyList<int> PortMappingTypes { get; set; } = [];

    /// <summary>
    /// The host's NAT state (shared by every loop of one proxy; not owned, started by <see cref="InproxyProxy.RunAsync"/>):
    /// announcements report its discovered NAT type and port-mapping types, and each client's peer connection is bound
    /// to a port mapped at the gateway, advertised as a host candidate. Null maps nothing and reports
    /// <see cref="NatType"/> and <see cref="PortMappingTypes"/>. Defaults to null.
    /// </summary>
    public Network.HostNat? Nat { get; set; }

    /// <summary>Clock. Defaults to the system clock.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Loggers. Defaults to none.</summary>
    public ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>The kind of clients served: personal with a compartment ID, else common.</summary>
    internal ProxyClientKind Kind => PersonalCompartmentId is null ? ProxyClientKind.Common : ProxyClientKind.Personal;

    /// <summary>Throws naming the first bad property.</summary>
    public void Validate()
    {
        if (Brokers is null)
        {
            throw new ArgumentException("Brokers is required.", nameof(Brokers));
        }

        ArgumentOutOfRangeException.ThrowIfNegative(MaxCommonClients, nameof(MaxCommonClients));
        ArgumentOutOfRangeException.ThrowIfNegative(MaxPersonalClients, nameof(MaxPersonalClients));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxCommonClients, InproxyProxy.MaxClientsLimit, nameof(MaxCommonClients));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxPersonalClients, InproxyProxy.MaxClientsLimit, nameof(MaxPersonalClients));
        if (PersonalCompartmentId is { } id && id.IsZero)
        {
            throw new ArgumentException("PersonalCompartmentId must not be zero.", nameof(PersonalCompartmentId));
        }

        if (Limits is null && (PersonalCompartmentId is null ? MaxCommonClients : MaxPersonalClients) == 0)
        {
            throw new ArgumentException(
                PersonalCompartmentId is null ? "MaxCommonClients must be positive (no personal compartment is set)." : "MaxPersonalClients must be positive with a personal compartment.",
                PersonalCompartmentId is null ? nameof(MaxCommonClients) : nameof(MaxPersonalClients));
        }

        ArgumentOutOfRangeException.ThrowIfNegative(LimitUpstreamBytesPerSecond, nameof(LimitUpstreamBytesPerSecond));
        ArgumentOutOfRangeException.ThrowIfNegative(LimitDownstreamBytesPerSecond, nameof(LimitDownstreamBytesPerSecond));
        Positive(InactivityTimeout, nameof(InactivityTimeout));
        Positive(AnnounceDelay, nameof(AnnounceDelay));
        Positive(MaxBackoff, nameof(MaxBackoff));
        Positive(TransportRetryDelay, nameof(TransportRetryDelay));
        if (MaxTransportRetryDelay < TransportRetryDelay)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxTransportRetryDelay), MaxTransportRetryDelay, "Must be at least TransportRetryDelay.");
        }
        Positive(AnswerTimeout, nameof(AnswerTimeout));
        Positive(ReadyTimeout, nameof(ReadyTimeout));
        Positive(DestinationDialTimeout, nameof(DestinationDialTimeout));
        if (AnnounceDelayJitter is < 0 or > 1 || double.IsNaN(AnnounceDelayJitter))
        {
            throw new ArgumentOutOfRangeException(nameof(AnnounceDelayJitter), AnnounceDelayJitter, "Must be within 0..1.");
        }

        ArgumentNullException.ThrowIfNull(WebRtc, nameof(WebRtc));
        WebRtc.Validate();
        ArgumentNullException.ThrowIfNull(PortMappingTypes, nameof(PortMappingTypes));
        ArgumentNullException.ThrowIfNull(TimeProvider, nameof(TimeProvider));
    }

    private static void Positive(TimeSpan value, string name)
    {
        if (value <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(name, value, "Must be positive.");
        }
    }
}
