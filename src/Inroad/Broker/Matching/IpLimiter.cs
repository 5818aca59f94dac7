using System.Runtime.InteropServices;

namespace Inroad.Broker.Matching;

/// <summary>
/// Per-IP queued-entry counts and token buckets (burst = quantity, refill = quantity per interval) for
/// announcements and offers. The rate is checked before the entry count, so a peer hammering the broker
/// spends its tokens even while its queue slots are full. Not thread-safe: guarded by the matcher's lock.
/// </summary>
internal sealed class IpLimiter
{
    private readonly Dictionary<RateLimitKey, State> _states = [];
    private readonly MatcherOptions _options;
    private readonly double _announceRefillPerMs;
    private readonly double _offerRefillPerMs;

    public IpLimiter(MatcherOptions options)
    {
        _options = options;
        _announceRefillPerMs = options.AnnouncementRateQuantity / options.AnnouncementRateInterval.TotalMilliseconds;
        _offerRefillPerMs = options.OfferRateQuantity / options.OfferRateInterval.TotalMilliseconds;
    }

    /// <summary>IPs with state.</summary>
    public int Count => _states.Count;

    /// <summary>Takes a token and an entry slot for an announcement; false means Limited.</summary>
    public bool TryAdmitAnnouncement(RateLimitKey key, long nowMs) => TryAdmit(key, nowMs, offer: false);

    /// <summary>Takes a token and an entry slot for an offer; false means Limited.</summary>
    public bool TryAdmitOffer(RateLimitKey key, long nowMs) => TryAdmit(key, nowMs, offer: true);

    /// <summary>An announcement left the queue.</summary>
    public void ReleaseAnnouncement(RateLimitKey key) => Release(key, offer: false);

    /// <summary>An offer left the queue.</summary>
    public void ReleaseOffer(RateLimitKey key) => Release(key, offer: true);

    private bool TryAdmit(RateLimitKey key, long nowMs, bool offer)
    {
        ref State state = ref GetOrAdd(key, nowMs, out bool full);
        if (full)
        {
            return false;
        }

        Refill(ref state, nowMs);
        bool admitted = offer
            ? TakeToken(ref state.OfferTokens) && state.Offers < _options.OfferLimitEntryCount
            : TakeToken(ref state.AnnounceTokens) && state.Announcements < _options.AnnouncementLimitEntryCount;
        if (admitted)
        {
            (offer ? ref state.Offers : ref state.Announcements)++;
        }

        return admitted;
    }

    private void Release(RateLimitKey key, bool offer)
    {
        ref State state = ref CollectionsMarshal.GetValueRefOrNullRef(_states, key);
        if (!System.Runtime.CompilerServices.Unsafe.IsNullRef(ref state))
        {
            ref int count = ref offer ? ref state.Offers : ref state.Announcements;
            count = Math.Max(0, count - 1);
        }
    }

    /// <summary>Forgets IPs with nothing queued and full buckets (their state equals a fresh one). O(IPs); run rarely.</summary>
    public int Reap(long nowMs)
    {
        int removed = 0;
        foreach (KeyValuePair<RateLimitKey, State> pair in _states)
        {
            State s = pair.Value;
            if (s.Announcements == 0 && s.Offers == 0
                && Refilled(s.AnnounceTokens, s.Stamp, _options.AnnouncementRateQuantity, _announceRefillPerMs, nowMs) >= _options.AnnouncementRateQuantity
                && Refilled(s.OfferTokens, s.Stamp, _options.OfferRateQuantity, _offerRefillPerMs, nowMs) >= _options.OfferRateQuantity)
            {
                _ = _states.Remove(pair.Key);
                removed++;
            }
        }

        return removed;
    }

    private ref State GetOrAdd(RateLimitKey key, long nowMs, out bool full)
    {
        full = false;
        ref State state = ref CollectionsMarshal.GetValueRefOrNullRef(_states, key);
        if (!System.Runtime.CompilerServices.Unsafe.IsNullRef(ref state))
        {
            return ref state;
        }

        if (_states.Count >= _options.MaxRateLimitEntries && Reap(nowMs) == 0)
        {
            full = true;
            return ref state;
        }

        state = ref CollectionsMarshal.GetValueRefOrAddDefault(_states, key, out _);
        state.AnnounceTokens = _options.AnnouncementRateQuantity;
        state.OfferTokens = _options.OfferRateQuantity;
        state.Stamp = nowMs;
        return ref state;
    }

    private static double Refilled(float tokens, long stamp, int quantity, double perMs, long nowMs) =>
        Math.Min(quantity, tokens + (Math.Max(0, nowMs - stamp) * perMs));

    // Both buckets share one time stamp: each is refilled up to now whenever either is used (the same tokens
    // as refilling each on its own use, in one stamp instead of two).
    private void Refill(ref State state, long nowMs)
    {
        if (nowMs > state.Stamp)
        {
            state.AnnounceTokens = (float)Refilled(state.AnnounceTokens, state.Stamp, _options.AnnouncementRateQuantity, _announceRefillPerMs, nowMs);
            state.OfferTokens = (float)Refilled(state.OfferTokens, state.Stamp, _options.OfferRateQuantity, _offerRefillPerMs, nowMs);
            state.Stamp = nowMs;
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

    private struct State
    {
        public int Announcements;
        public int Offers;
        public float AnnounceTokens;
        public float OfferTokens;
        public long Stamp;
    }
}
