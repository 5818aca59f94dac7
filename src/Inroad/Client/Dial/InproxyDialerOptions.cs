using Inroad.Brokers;
using Inroad.Protocol;
using Inroad.Protocol.Messages;
using Inroad.WebRtc.PeerConnection;
using Microsoft.Extensions.Logging;

namespace Inroad.Client.Dial;

/// <summary>Options of <see cref="InproxyDialer"/> (design §8.5, §2.5).</summary>
internal sealed class InproxyDialerOptions
{
    /// <summary>The brokers (shared, not owned: the dialer rotates it on NoMatch and on transport failures). Required.</summary>
    public BrokerClient? Brokers { get; set; }

    /// <summary>
    /// Template of every dial's peer connection (IncludeLoopback, STUN servers, DTLS profiles, timeouts…); each dial
    /// copies it and sets <see cref="RtcPeerOptions.ShapeSeed"/> to the root obfuscation secret. Defaults to the defaults.
    /// </summary>
    public RtcPeerOptions WebRtc { get; set; } = new();

    /// <summary>Common compartments to offer in; used when <see cref="PersonalCompartmentId"/> is null. Defaults to none.</summary>
    public IReadOnlyList<Id32> CommonCompartmentIds { get; set; } = [];

    /// <summary>A personal compartment (pairing with one operator's proxies); when set only it is offered. Defaults to null.</summary>
    public Id32? PersonalCompartmentId { get; set; }

    /// <summary>Our NAT type (cached discovery, or unknown) when there is no <see cref="Nat"/>. Defaults to unknown.</summary>
    public NatType NatType { get; set; }

    /// <summary>Port mapping types available (design §2.2 PortMappingType) when there is no <see cref="Nat"/>. Defaults to none.</summary>
    public IReadOnlyList<int> PortMappingTypes { get; set; } = [];

    /// <summary>
    /// The host's NAT state (shared, not owned; started by the first dial): offers report its discovered NAT type and
    /// port-mapping types instead of <see cref="NatType"/>/<see cref="PortMappingTypes"/>, and each dial binds its peer
    /// connection to a port mapped at the gateway when it can. Null maps nothing. Defaults to null.
    /// </summary>
    public Network.HostNat? Nat { get; set; }

    /// <summary>Base API parameters reported in the client metrics. Defaults to empty.</summary>
    public ApiParameters ApiParameters { get; set; } = new();

    /// <summary>
    /// The 32-byte root obfuscation secret seeding the DTLS shape and traffic shaping on both peers; null draws a
    /// fresh one per dial (<see cref="InproxyConnection.RootObfuscationSecret"/> has it, to replay). Defaults to null.
    /// </summary>
    public byte[]? RootObfuscationSecret { get; set; }

    /// <summary>Padding and decoy bounds offered when shaping is chosen; null never shapes. Defaults to the in-proxy defaults.</summary>
    public TrafficShapingParameters? TrafficShaping { get; set; } = InproxyShaping.Default;

    /// <summary>
    /// Chance a dial shapes its data channel, drawn deterministically from the root secret so a replay shapes alike.
    /// Defaults to 0.5 (the in-proxy tactic).
    /// </summary>
    public double TrafficShapingProbability { get; set; } = 0.5;

    /// <summary>Pause after NoMatch or a local WebRTC failure before the next offer, ±50 %. Defaults to 100 ms (the tactic).</summary>
    public TimeSpan OfferRetryDelay { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// Chance to rotate to the next broker after NoMatch; null means 0.5 in common mode and 1.0 in personal mode
    /// (design §2.5). Defaults to null.
    /// </summary>
    public double? NoMatchRotateProbability { get; set; }

    /// <summary>Time from a match to an open data channel (ICE, DTLS, SCTP). Defaults to 20 s (client tactic).</summary>
    public TimeSpan DataChannelTimeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>
    /// How often dials may start (shared by every dial of this dialer); a dial over the limit waits, inside its
    /// <see cref="DialTimeout"/>. Defaults to <see cref="DialRateLimit.Default"/> (2 per 500 ms).
    /// </summary>
    public DialRateLimit DialRateLimit { get; set; } = DialRateLimit.Default;

    /// <summary>The whole dial, across NoMatch retries. Defaults to 60 s.</summary>
    public TimeSpan DialTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Clock of retries and timeouts. Defaults to the system clock.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Loggers. Defaults to none.</summary>
    public ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>Throws naming the first bad property.</summary>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(Brokers, nameof(Brokers));
        ArgumentNullException.ThrowIfNull(WebRtc, nameof(WebRtc));
        WebRtc.Validate();
        ArgumentNullException.ThrowIfNull(CommonCompartmentIds, nameof(CommonCompartmentIds));
        ArgumentNullException.ThrowIfNull(PortMappingTypes, nameof(PortMappingTypes));
        ArgumentNullException.ThrowIfNull(ApiParameters, nameof(ApiParameters));
        ArgumentNullException.ThrowIfNull(TimeProvider, nameof(TimeProvider));
        ArgumentNullException.ThrowIfNull(DialRateLimit, nameof(DialRateLimit));
        DialRateLimit.Validate();
        if (PersonalCompartmentId is null && CommonCompartmentIds.Count == 0)
        {
            throw new ArgumentException("Need common compartment IDs or a personal compartment ID.", nameof(CommonCompartmentIds));
        }

        if (CommonCompartmentIds.Count > ClientOfferRequest.MaxCompartmentIds)
        {
            throw new ArgumentOutOfRangeException(nameof(CommonCompartmentIds), CommonCompartmentIds.Count, $"At most {ClientOfferRequest.MaxCompartmentIds}.");
        }

        if (RootObfuscationSecret is { Length: not 32 })
        {
            throw new ArgumentException("RootObfuscationSecret must be 32 bytes.", nameof(RootObfuscationSecret));
        }

        if (TrafficShaping is { IsSane: false })
        {
            throw new ArgumentOutOfRangeException(nameof(TrafficShaping), "Counts must be within [0, 100], sizes within [0, 16384], min <= max, 0 <= p <= 1.");
        }

        CheckProbability(TrafficShapingProbability, nameof(TrafficShapingProbability));
        if (NoMatchRotateProbability is double p)
        {
            CheckProbability(p, nameof(NoMatchRotateProbability));
        }

        if (OfferRetryDelay < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(OfferRetryDelay), OfferRetryDelay, "Must not be negative.");
        }

        if (DataChannelTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(DataChannelTimeout), DataChannelTimeout, "Must be positive.");
        }

        if (DialTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(DialTimeout), DialTimeout, "Must be positive.");
        }
    }

    private static void CheckProbability(double p, string name)
    {
        if (!(p is >= 0 and <= 1))
        {
            throw new ArgumentOutOfRangeException(name, p, "Must be within [0, 1].");
        }
    }
}
