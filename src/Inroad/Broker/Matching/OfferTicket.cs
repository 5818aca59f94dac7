using Inroad.Protocol;

namespace Inroad.Broker.Matching;

/// <summary>
/// One client offer. Completes with the <see cref="ProxyMatch"/> or null (no match: expired, dropped
/// for lack of time, or cancelled).
/// </summary>
internal sealed class OfferTicket : MatchTicket
{
    /// <summary>Creates a ticket; <paramref name="compartmentIds"/> are all of one <paramref name="kind"/>.</summary>
    public OfferTicket(
        CompartmentKind kind,
        IReadOnlyList<Id32> compartmentIds,
        NatTraversalClass natClass,
        int protocolVersion,
        bool useMediaStreams,
        GeoKey geo,
        RateLimitKey ip,
        long deadlineMs,
        object? payload = null)
    {
        ArgumentNullException.ThrowIfNull(compartmentIds);
        Kind = kind;
        CompartmentIds = compartmentIds;
        NatClass = natClass;
        ProtocolVersion = protocolVersion;
        UseMediaStreams = useMediaStreams;
        Geo = geo;
        Ip = ip;
        DeadlineMs = deadlineMs;
        Payload = payload;
    }

    /// <summary>Common or personal.</summary>
    public CompartmentKind Kind { get; }

    /// <summary>The compartments the client may be matched in.</summary>
    public IReadOnlyList<Id32> CompartmentIds { get; }

    /// <summary>The client's effective NAT traversal class.</summary>
    public NatTraversalClass NatClass { get; }

    /// <summary>The client's API protocol version.</summary>
    public int ProtocolVersion { get; }

    /// <summary>The client asked for media streams (needs v2 on both sides).</summary>
    public bool UseMediaStreams { get; }

    /// <summary>The client's GeoIP.</summary>
    public GeoKey Geo { get; }

    /// <summary>The client's rate-limit key.</summary>
    public RateLimitKey Ip { get; }

    /// <summary>When the client stops waiting (milliseconds on the matcher's clock).</summary>
    public long DeadlineMs { get; }

    /// <summary>The caller's data (the offer SDP and the rest).</summary>
    public object? Payload { get; }

    // True while the offer waits in compartment queues. Guarded by the matcher's lock.
    internal bool Waiting { get; set; }
}
