using System.Runtime.CompilerServices;

namespace Inroad.Broker.Matching;

/// <summary>
/// Per-IP queued-entry counts and token buckets (burst = quantity, refill = quantity per interval) for
/// announcements and offers. The rate is checked before the entry count, so a peer hammering the broker
/// spends its tokens even while its queue slots are full. Not thread-safe: guarded by the matcher's lock.
/// </summary>
internal sealed class IpLimiter
{
    private readonly IpStateTable _states = new();
    private readonly MatcherOptions _options;
    private readonly double _announceRefillPerMs;
    private readonly double _offerRefillPerMs;
    private readonly int _announcementEntryLimit;
    private readonly int _offerEntryLimit;

    public IpLimiter(MatcherOptions options)
    {
        _options = options;
        _announceRefillPerMs = options.AnnouncementRateQuantity / options.AnnouncementRateInterval.TotalMilliseconds;
        _offerRefillPerMs = options.OfferRateQuantity / options.OfferRateInterval.TotalMilliseconds;
        _announcementEntryLimit = Math.Min(options.AnnouncementLimitEntryCount, ushort.MaxValue);
        _offerEntryLimit = Math.Min(options.OfferLimitEntryCount, ushort.MaxValue);
    }

    /// <summary>IPs with state.</summary>
    public int Count => _states.Count;

    /// <summary>Takes a token and an entry slot for an announcement; false means Limited.</summary>
    public bool TryAdmitAnnouncement(RateLimitKey key, long nowMs) => TryAdmit(key, nowMs, offer: false);

    /// <summary>Takes a token and an entry slot for an offer; false means Limited.</summary>
    public bool TryAdmitOffer(RateLimitKey key, long nowMs) => TryAdmit(key, nowMs, offer: true);

    /// <summary>For diagnostics: the state kept for <paramref name="key"/> (never the address itself).</summary>
    public string Describe(RateLimitKey key)
    {
        ref IpStateTable.Entry e = ref _states.Find(key);
        return Unsafe.IsNullRef(ref e)
            ? $"no state ({_states.Count} IPs)"
            : string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{e.Announcements} announcements and {e.Offers} offers queued, {e.AnnounceTokens:F2}/{e.OfferTokens:F2} tokens, stamp {e.Stamp} ({_states.Count} IPs)");
    }

    /// <summary>An announcement left the queue.</summary>
    public void ReleaseAnnouncement(RateLimitKey key) => Release(key, offer: false);

    /// <summary>An offer left the queue.</summary>
    public void ReleaseOffer(RateLimitKey key) => Release(key, offer: true);

    private bool TryAdmit(RateLimitKey key, long nowMs, bool offer)
    {
        ref IpStateTable.Entry state = ref GetOrAdd(key, nowMs);
        if (Unsafe.IsNullRef(ref state))
        {
            return false; // the table is at its bound with nobody to forget
        }

        Refill(ref state, nowMs);
        bool admitted = offer
            ? TakeToken(ref state.OfferTokens) && state.Offers < _offerEntryLimit
            : TakeToken(ref state.AnnounceTokens) && state.Announcements < _announcementEntryLimit;
        if (admitted)
        {
            (offer ? ref state.Offers : ref state.Announcements)++;
        }

        return admitted;
    }

    private void Release(RateLimitKey key, bool offer)
    {
        ref IpStateTable.Entry state = ref _states.Find(key);
        if (!Unsafe.IsNullRef(ref state))
        {
            ref ushort count = ref offer ? ref state.Offers : ref state.Announcements;
            if (count > 0)
            {
                count--;
            }
        }
    }

    /// <summary>Forgets IPs with nothing queued and full buckets (their state equals a fresh one). O(IPs); run rarely.</summary>
    public int Reap(long nowMs) => _states.RemoveWhere(static (s, e) => s.Self.IsIdle(e, s.NowMs), (Self: this, NowMs: nowMs));

    private bool IsIdle(in IpStateTable.Entry e, long nowMs) =>
        e.Announcements == 0 && e.Offers == 0
        && Refilled(e.AnnounceTokens, e.Stamp, _options.AnnouncementRateQuantity, _announceRefillPerMs, nowMs) >= _options.AnnouncementRateQuantity
        && Refilled(e.OfferTokens, e.Stamp, _options.OfferRateQuantity, _offerRefillPerMs, nowMs) >= _options.OfferRateQuantity;

    private ref IpStateTable.Entry GetOrAdd(RateLimitKey key, long nowMs)
    {
        ref IpStateTable.Entry state = ref _states.Find(key);
        if (!Unsafe.IsNullRef(ref state))
        {
            return ref state;
        }

        if (_states.Count >= _options.MaxRateLimitEntries && Reap(nowMs) == 0)
        {
            return ref Unsafe.NullRef<IpStateTable.Entry>();
        }

        state = ref _states.FindOrAdd(key, out _);
        state.AnnounceTokens = _options.AnnouncementRateQuantity;
        state.OfferTokens = _options.OfferRateQuantity;
        state.Stamp = (uint)nowMs;
        return ref state;
    }

    private static double Refilled(float tokens, uint stamp, int quantity, double perMs, long nowMs) =>
        Math.Min(quantity, tokens + (Elapsed(stamp, nowMs) * perMs));

    // The stamp keeps the low 32 bits of the clock: the difference is exact under 49 days, and the broker reaps
    // idle state every few minutes (an entry with queued entries is touched at least every long poll).
    private static uint Elapsed(uint stamp, long nowMs) => unchecked((uint)nowMs - stamp);

    // Both buckets share one time stamp: each is refilled up to now whenever either is used (the same tokens
    // as refilling each on its own use, in one stamp instead of two).
    private void Refill(ref IpStateTable.Entry state, long nowMs)
    {
        if (Elapsed(state.Stamp, nowMs) > 0)
        {
            state.AnnounceTokens = (float)Refilled(state.AnnounceTokens, state.Stamp, _options.AnnouncementRateQuantity, _announceRefillPerMs, nowMs);
            state.OfferTokens = (float)Refilled(state.OfferTokens, state.Stamp, _options.OfferRateQuantity, _offerRefillPerMs, nowMs);
            state.Stamp = (uint)nowMs;
        }
    }

    private static bool TakeToken(ref float tokens)
    {
        if (tokens < 1)
        {
            return false;
        }

        tokens--;
        return true;
    }
}
