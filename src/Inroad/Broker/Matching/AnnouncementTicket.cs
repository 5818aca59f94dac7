using Inroad.Protocol;

namespace Inroad.Broker.Matching;

/// <summary>
/// One proxy announcement waiting in the matcher. Completes with the <see cref="ProxyMatch"/> or with
/// null when it expired or was cancelled. The hot fields the matcher probes live in its slab slot, not
/// here, so a probe touches no extra cache line.
/// </summary>
internal sealed class AnnouncementTicket : MatchTicket
{
    // The boxed key until the matcher queues the ticket, then the Compartment object: a queued entry keeps
    // one reference instead of a 40-byte key the compartment already holds.
    private object _compartment;

    /// <summary>Creates a ticket; <paramref name="payload"/> is the caller's (metrics, addresses).</summary>
    public AnnouncementTicket(
        Id32 proxyId,
        CompartmentKey compartment,
        bool isPriority,
        NatTraversalClass natClass,
        int protocolVersion,
        GeoKey geo,
        RateLimitKey ip,
        long deadlineMs,
        object? payload = null)
    {
        ProxyId = proxyId;
        _compartment = compartment; // boxed until queued, then the queue's own compartment (which holds the key)
        IsPriority = isPriority && compartment.Kind == CompartmentKind.Common;
        NatClass = natClass;
        ProtocolVersion = (byte)Math.Clamp(protocolVersion, 0, 255);
        Geo = geo;
        Ip = ip;
        DeadlineMs = deadlineMs;
        Payload = payload;
    }

    /// <summary>The proxy's ID (its static public key); only this proxy may answer the match.</summary>
    public Id32 ProxyId { get; }

    /// <summary>The one compartment this announcement is queued in.</summary>
    public CompartmentKey Compartment => _compartment is Matching.Compartment queued ? queued.Key : (CompartmentKey)_compartment;

    /// <summary>Queued in the priority-common queue (never for personal compartments).</summary>
    public bool IsPriority { get; }

    /// <summary>The proxy's effective NAT traversal class.</summary>
    public NatTraversalClass NatClass { get; }

    /// <summary>The proxy's API protocol version.</summary>
    public byte ProtocolVersion { get; }

    /// <summary>The proxy's GeoIP.</summary>
    public GeoKey Geo { get; }

    /// <summary>The proxy's rate-limit key.</summary>
    public RateLimitKey Ip { get; }

    /// <summary>When the long poll ends (milliseconds on the matcher's clock).</summary>
    public long DeadlineMs { get; }

    /// <summary>The caller's data.</summary>
    public object? Payload { get; }

    // Slab slot while queued, else -1. Guarded by the matcher's lock.
    internal int Slot { get; set; } = -1;

    // Called by the matcher (under its lock) when the ticket enters a compartment's queue.
    internal void QueuedIn(Compartment compartment) => _compartment = compartment;
}
