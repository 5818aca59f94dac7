using Inroad.Protocol;

namespace Inroad.Broker.Matching;

/// <summary>
/// Pairs client offers with proxy announcements (in-proxy design §4). Sans-IO: every call takes the time
/// (milliseconds on any monotonic clock) and completes tickets; the caller owns timers, long polls and
/// I/O. All state is behind one lock; each call is short and its cost is bounded by
/// <see cref="MatcherOptions.ProbeLimit"/> and the offer's compartment count, never by queue length.
/// </summary>
/// <remarks>
/// Matching is event-driven instead of a sweep over every queued offer: an offer is matched on arrival
/// against the announcement queues of its compartments; if none fits it waits in those compartments,
/// and an arriving announcement takes the oldest fitting offer waiting in its compartment. So an offer
/// waits only while its compartments have no acceptable proxy, and an announcement queues only while no
/// acceptable offer waits. Announcements are kept in one FIFO per (compartment, tier, NAT class): the
/// NAT preference is a choice between queue heads, and every queue is in deadline order (one timeout per
/// queue kind), so expired entries are popped from the front.
/// </remarks>
internal sealed class Matcher
{
    private static readonly NatTraversalClass[][] Preferred =
    [
        [NatTraversalClass.StrictlyLimited], // an unlimited client saves unlimited proxies for those who need them
        [NatTraversalClass.Unlimited, NatTraversalClass.PartiallyLimited],
        [NatTraversalClass.Unlimited],
    ];

    private static readonly NatTraversalClass[][] Fallback =
    [
        [NatTraversalClass.Unlimited, NatTraversalClass.PartiallyLimited],
        [NatTraversalClass.StrictlyLimited],
        [NatTraversalClass.PartiallyLimited, NatTraversalClass.StrictlyLimited],
    ];

    // Probes spent looking for a priority proxy with quality for the client's ASN (the design's preferred-NAT probe).
    private const int QualityProbeLimit = 10;

    private readonly Lock _lock = new();
    private readonly MatcherOptions _options;
    private readonly AnnouncementSlab _slab = new();
    private readonly Dictionary<CompartmentKey, Compartment> _compartments = [];
    private readonly Dictionary<Id32, ProxyMatch> _pendingAnswers = [];
    private readonly IpLimiter _limiter;
    private readonly ConnectionIdSource _connectionIds = new();
    private readonly long _offerMinimumMs;
    private Compartment?[] _scratch = new Compartment?[16];
    private int _announcementCount;
    private int _offerCount;

    /// <summary>Creates a matcher; the options are validated and must not change afterwards.</summary>
    public Matcher(MatcherOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _limiter = new IpLimiter(options);
        _offerMinimumMs = (long)options.OfferMinimumDeadline.TotalMilliseconds;
    }

    /// <summary>Announcements queued.</summary>
    public int AnnouncementCount
    {
        get
        {
            lock (_lock)
            {
                return _announcementCount;
            }
        }
    }

    /// <summary>Offers waiting for a proxy.</summary>
    public int OfferCount
    {
        get
        {
            lock (_lock)
            {
                return _offerCount;
            }
        }
    }

    /// <summary>Matches whose proxy has not answered yet.</summary>
    public int PendingAnswerCount
    {
        get
        {
            lock (_lock)
            {
                return _pendingAnswers.Count;
            }
        }
    }

    /// <summary>Compartments with anything queued.</summary>
    public int CompartmentCount
    {
        get
        {
            lock (_lock)
            {
                return _compartments.Count;
            }
        }
    }

    /// <summary>
    /// Queues an announcement or matches it at once with the oldest acceptable waiting offer. On
    /// <see cref="MatchOutcome.Matched"/> both tickets are complete; on <see cref="MatchOutcome.Queued"/>
    /// the ticket completes later; on Limited/Shed it is left incomplete and must not be reused.
    /// </summary>
    public MatchOutcome Announce(AnnouncementTicket ticket, long nowMs)
    {
        ArgumentNullException.ThrowIfNull(ticket);
        lock (_lock)
        {
            if (ticket.Slot >= 0 || ticket.IsCompleted)
            {
                throw new InvalidOperationException("An announcement ticket is used once.");
            }

            if (_announcementCount >= _options.MaxAnnouncements || (IsLoadLimiting() && _announcementCount >= _offerCount / 2.0))
            {
                return MatchOutcome.Shed;
            }

            if (!_limiter.TryAdmitAnnouncement(ticket.Ip, nowMs))
            {
                return MatchOutcome.Limited;
            }

            CompartmentKey key = ticket.Compartment;
            _compartments.TryGetValue(key, out Compartment? compartment);
            if (compartment?.Offers is { Count: > 0 } && TryMatchWaitingOffer(compartment, ticket, nowMs))
            {
                _limiter.ReleaseAnnouncement(ticket.Ip);
                ForgetIfEmpty(compartment);
                return MatchOutcome.Matched;
            }

            if (compartment is null)
            {
                compartment = new Compartment(key);
                _compartments.Add(key, compartment);
            }

            Enqueue(compartment, ticket);
            return MatchOutcome.Queued;
        }
    }

    /// <summary>
    /// Matches an offer at once with the best queued announcement, or leaves it waiting in its
    /// compartments. Same completion contract as <see cref="Announce"/>; <see cref="MatchOutcome.NoMatch"/>
    /// means the offer had too little time left and was not queued.
    /// </summary>
    public MatchOutcome Offer(OfferTicket offer, long nowMs)
    {
        ArgumentNullException.ThrowIfNull(offer);
        lock (_lock)
        {
            if (offer.Waiting || offer.IsCompleted)
            {
                throw new InvalidOperationException("An offer ticket is used once.");
            }

            if (_offerCount >= _options.MaxOffers || _pendingAnswers.Count >= _options.MaxPendingAnswers
                || (IsLoadLimiting() && _offerCount >= _announcementCount / 2.0))
            {
                return MatchOutcome.Shed;
            }

            if (!_limiter.TryAdmitOffer(offer.Ip, nowMs))
            {
                return MatchOutcome.Limited;
            }

            if (offer.DeadlineMs - nowMs < _offerMinimumMs || offer.CompartmentIds.Count == 0)
            {
                _limiter.ReleaseOffer(offer.Ip);
                return MatchOutcome.NoMatch;
            }

            int found = FindBestAnnouncement(offer, nowMs);
            if (found >= 0)
            {
                ref AnnouncementSlab.Slot slot = ref _slab[found];
                AnnouncementTicket announcement = slot.Ticket!;
                bool priority = slot.Queue < Compartment.ClassCount;
                Compartment compartment = slot.Compartment!;
                Unlink(found);
                ForgetIfEmpty(compartment);
                _limiter.ReleaseOffer(offer.Ip);
                Complete(offer, announcement, priority);
                return MatchOutcome.Matched;
            }

            for (int i = 0; i < offer.CompartmentIds.Count; i++)
            {
                var key = new CompartmentKey(offer.Kind, offer.CompartmentIds[i]);
                if (!_compartments.TryGetValue(key, out Compartment? compartment))
                {
                    compartment = new Compartment(key);
                    _compartments.Add(key, compartment);
                }

                compartment.Offers ??= new Queue<OfferTicket>();
                DropDeadOffers(compartment, nowMs);
                compartment.Offers.Enqueue(offer);
            }

            offer.Waiting = true;
            _offerCount++;
            return MatchOutcome.Queued;
        }
    }

    /// <summary>
    /// Withdraws a queued announcement (long-poll timeout, client gone) and completes its ticket with null.
    /// False when it was not queued: already matched (its ticket holds the match) or already withdrawn.
    /// </summary>
    public bool CancelAnnouncement(AnnouncementTicket ticket)
    {
        ArgumentNullException.ThrowIfNull(ticket);
        lock (_lock)
        {
            int index = ticket.Slot;
            if (index < 0 || !ReferenceEquals(_slab[index].Ticket, ticket))
            {
                return false;
            }

            Compartment compartment = _slab[index].Compartment!;
            Unlink(index);
            ForgetIfEmpty(compartment);
            _ = ticket.TrySetResult(null);
            return true;
        }
    }

    /// <summary>Withdraws a waiting offer and completes it with null; false when it was not waiting.</summary>
    public bool CancelOffer(OfferTicket offer)
    {
        ArgumentNullException.ThrowIfNull(offer);
        lock (_lock)
        {
            if (!offer.Waiting)
            {
                return false;
            }

            DropOffer(offer);
            for (int i = 0; i < offer.CompartmentIds.Count; i++)
            {
                if (_compartments.TryGetValue(new CompartmentKey(offer.Kind, offer.CompartmentIds[i]), out Compartment? compartment))
                {
                    DropDeadOffers(compartment, nowMs: null);
                    ForgetIfEmpty(compartment);
                }
            }

            return true;
        }
    }

    /// <summary>
    /// Takes the match a proxy answers. Only the matched proxy can: the key is the connection ID and the
    /// proxy ID must equal the announcement's (the client knows the connection ID too). False ⇒ NoAwaitingClient.
    /// </summary>
    public bool TryTakePendingAnswer(Id32 proxyId, Id32 connectionId, out ProxyMatch? match)
    {
        lock (_lock)
        {
            if (_pendingAnswers.TryGetValue(connectionId, out match) && match.Announcement.ProxyId == proxyId)
            {
                _ = _pendingAnswers.Remove(connectionId);
                return true;
            }

            match = null;
            return false;
        }
    }

    /// <summary>Forgets a pending answer (the client stopped waiting); true if it was there.</summary>
    public bool RemovePendingAnswer(Id32 connectionId)
    {
        lock (_lock)
        {
            return _pendingAnswers.Remove(connectionId);
        }
    }

    /// <summary>Forgets idle per-IP limiter state; run every few minutes.</summary>
    public int ReapRateLimiters(long nowMs)
    {
        lock (_lock)
        {
            return _limiter.Reap(nowMs);
        }
    }

    /// <summary>For diagnostics: a peer's per-IP limiter state (counts, tokens; never the address).</summary>
    internal string DescribeLimiter(RateLimitKey key)
    {
        lock (_lock)
        {
            return _limiter.Describe(key);
        }
    }

    private bool IsLoadLimiting() => _options.IsLoadLimiting?.Invoke() == true;

    private int FindBestAnnouncement(OfferTicket offer, long nowMs)
    {
        int idCount = offer.CompartmentIds.Count;
        if (_scratch.Length < idCount)
        {
            _scratch = new Compartment?[Math.Max(idCount, _scratch.Length * 2)];
        }

        Compartment?[] compartments = _scratch;
        bool any = false;
        for (int i = 0; i < idCount; i++)
        {
            _compartments.TryGetValue(new CompartmentKey(offer.Kind, offer.CompartmentIds[i]), out compartments[i]);
            any |= compartments[i]?.AnnouncementCount > 0;
        }

        int found = -1;
        if (any)
        {
            int probes = 0;
            int natClass = (int)offer.NatClass;
            found = FindOldest(compartments, idCount, true, Preferred[natClass], offer, nowMs, null, _options.ProbeLimit, ref probes);
            if (_options.HasClientQuality is { } quality)
            {
                // A priority proxy with quality for this client's ASN counts as NAT-preferred (design §4.4 step 4);
                // a few probes only, so a matcher with quality costs no more than one without.
                int qualityProbes = 0;
                int withQuality = FindOldest(compartments, idCount, true, Fallback[natClass], offer, nowMs, quality, QualityProbeLimit, ref qualityProbes);
                if (withQuality >= 0 && (found < 0 || _slab[withQuality].DeadlineMs < _slab[found].DeadlineMs))
                {
                    found = withQuality;
                }
            }

            if (found < 0)
            {
                found = FindOldest(compartments, idCount, true, Fallback[natClass], offer, nowMs, null, _options.ProbeLimit, ref probes);
            }

            if (found < 0)
            {
                found = FindOldest(compartments, idCount, false, Preferred[natClass], offer, nowMs, null, _options.ProbeLimit, ref probes);
            }

            if (found < 0)
            {
                found = FindOldest(compartments, idCount, false, Fallback[natClass], offer, nowMs, null, _options.ProbeLimit, ref probes);
            }
        }

        for (int i = 0; i < idCount; i++)
        {
            if (compartments[i] is { } compartment && (found < 0 || !ReferenceEquals(compartment, _slab[found].Compartment)))
            {
                ForgetIfEmpty(compartment); // expired entries popped during the search may have emptied it
            }
        }

        Array.Clear(compartments, 0, idCount);
        return found;
    }

    // The oldest acceptable announcement at or near the heads of the given queues, or -1. With `quality`, only
    // proxies with quality for the client's ASN are acceptable.
    private int FindOldest(Compartment?[] compartments, int count, bool priority, NatTraversalClass[] classes, OfferTicket offer, long nowMs, Func<Id32, uint, uint, bool>? quality, int limit, ref int probes)
    {
        int best = -1;
        long bestDeadline = long.MaxValue;
        for (int c = 0; c < count; c++)
        {
            Compartment? compartment = compartments[c];
            if (compartment is null || compartment.AnnouncementCount == 0)
            {
                continue;
            }

            foreach (NatTraversalClass natClass in classes)
            {
                int queue = Compartment.QueueIndex(priority, (int)natClass);
                int index = compartment.Heads[queue];
                while (index >= 0 && probes < limit)
                {
                    ref AnnouncementSlab.Slot slot = ref _slab[index];
                    int next = slot.Next;
                    if (slot.DeadlineMs <= nowMs)
                    {
                        // Expired at the head of a deadline-ordered queue: its long poll is over.
                        AnnouncementTicket expired = slot.Ticket!;
                        Unlink(index);
                        _ = expired.TrySetResult(null);
                        index = next;
                        continue;
                    }

                    probes++;
                    if (slot.DeadlineMs < bestDeadline && Acceptable(ref slot, offer)
                        && (quality is null || quality(slot.Ticket!.ProxyId, slot.Asn, offer.Geo.Asn)))
                    {
                        best = index;
                        bestDeadline = slot.DeadlineMs;
                        break;
                    }

                    if (slot.DeadlineMs >= bestDeadline)
                    {
                        break; // everything further back is younger than the best so far
                    }

                    index = next;
                }
            }
        }

        return best;
    }

    private bool Acceptable(ref AnnouncementSlab.Slot slot, OfferTicket offer)
    {
        if (ProtocolVersions.Negotiate(slot.Version, offer.ProtocolVersion, offer.UseMediaStreams) == 0)
        {
            return false;
        }

        return offer.Kind == CompartmentKind.Personal || _options.AllowCommonAsnMatching
            || !offer.Geo.SameNetworkAs(new GeoKey(slot.Country, slot.Asn));
    }

    private bool Acceptable(AnnouncementTicket announcement, OfferTicket offer)
    {
        if (ProtocolVersions.Negotiate(announcement.ProtocolVersion, offer.ProtocolVersion, offer.UseMediaStreams) == 0)
        {
            return false;
        }

        return offer.Kind == CompartmentKind.Personal || _options.AllowCommonAsnMatching
            || !offer.Geo.SameNetworkAs(announcement.Geo);
    }

    private bool TryMatchWaitingOffer(Compartment compartment, AnnouncementTicket announcement, long nowMs)
    {
        DropDeadOffers(compartment, nowMs);
        int probes = 0;
        foreach (OfferTicket offer in compartment.Offers!)
        {
            if (probes++ >= _options.ProbeLimit)
            {
                break;
            }

            if (offer.Waiting && offer.DeadlineMs - nowMs >= _offerMinimumMs && Acceptable(announcement, offer))
            {
                Unwait(offer);
                Complete(offer, announcement, announcement.IsPriority);
                DropDeadOffers(compartment, nowMs);
                return true;
            }
        }

        return false;
    }

    // Pops offers that no longer wait from the front; drops waiting ones with too little time left.
    // Without a time only offers that stopped waiting are popped.
    private void DropDeadOffers(Compartment compartment, long? nowMs)
    {
        Queue<OfferTicket>? offers = compartment.Offers;
        while (offers is { Count: > 0 })
        {
            OfferTicket head = offers.Peek();
            if (head.Waiting && (nowMs is not long now || head.DeadlineMs - now >= _offerMinimumMs))
            {
                return;
            }

            _ = offers.Dequeue();
            if (head.Waiting)
            {
                DropOffer(head);
            }
        }
    }

    // Marks an offer as no longer waiting; it stays in other compartments' queues until popped from their fronts.
    private void Unwait(OfferTicket offer)
    {
        offer.Waiting = false;
        _offerCount--;
        _limiter.ReleaseOffer(offer.Ip);
    }

    private void DropOffer(OfferTicket offer)
    {
        Unwait(offer);
        _ = offer.TrySetResult(null);
    }

    private void Complete(OfferTicket offer, AnnouncementTicket announcement, bool priority)
    {
        int version = ProtocolVersions.Negotiate(announcement.ProtocolVersion, offer.ProtocolVersion, offer.UseMediaStreams);
        var match = new ProxyMatch(offer, announcement, _connectionIds.Next(), version, priority);
        _pendingAnswers[match.ConnectionId] = match;
        _ = offer.TrySetResult(match);
        _ = announcement.TrySetResult(match);
    }

    private void Enqueue(Compartment compartment, AnnouncementTicket ticket)
    {
        int index = _slab.Allocate();
        int queue = Compartment.QueueIndex(ticket.IsPriority, (int)ticket.NatClass);
        ref AnnouncementSlab.Slot slot = ref _slab[index];
        slot.Ticket = ticket;
        slot.Compartment = compartment;
        slot.IpHigh = (ulong)(ticket.Ip.Value >> 64);
        slot.IpLow = (ulong)ticket.Ip.Value;
        slot.DeadlineMs = ticket.DeadlineMs;
        slot.Asn = ticket.Geo.Asn;
        slot.Country = ticket.Geo.Country;
        slot.Version = ticket.ProtocolVersion;
        slot.Queue = (byte)queue;
        slot.Next = -1;
        slot.Prev = compartment.Tails[queue];
        if (slot.Prev >= 0)
        {
            _slab[slot.Prev].Next = index;
        }
        else
        {
            compartment.Heads[queue] = index;
        }

        compartment.Tails[queue] = index;
        compartment.AnnouncementCount++;
        ticket.Slot = index;
        ticket.QueuedIn(compartment);
        _announcementCount++;
    }

    private void Unlink(int index)
    {
        ref AnnouncementSlab.Slot slot = ref _slab[index];
        Compartment compartment = slot.Compartment!;
        int queue = slot.Queue;
        if (slot.Prev >= 0)
        {
            _slab[slot.Prev].Next = slot.Next;
        }
        else
        {
            compartment.Heads[queue] = slot.Next;
        }

        if (slot.Next >= 0)
        {
            _slab[slot.Next].Prev = slot.Prev;
        }
        else
        {
            compartment.Tails[queue] = slot.Prev;
        }

        compartment.AnnouncementCount--;
        _announcementCount--;
        slot.Ticket!.Slot = -1;
        _limiter.ReleaseAnnouncement(slot.Ip);
        _slab.Free(index);
    }

    private void ForgetIfEmpty(Compartment compartment)
    {
        if (compartment.IsEmpty)
        {
            _ = _compartments.Remove(compartment.Key);
        }
    }
}
