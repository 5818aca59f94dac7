namespace Inroad.Broker.Matching;

/// <summary>Limits and rules of the <see cref="Matcher"/>. Defaults follow the in-proxy design §2.7 and §9.</summary>
internal sealed class MatcherOptions
{
    /// <summary>Announcements queued at once per IP (IPv4 address or IPv6 /56). Defaults to 50.</summary>
    public int AnnouncementLimitEntryCount { get; set; } = 50;

    /// <summary>Announcement token-bucket size and refill per <see cref="AnnouncementRateInterval"/>. Defaults to 50.</summary>
    public int AnnouncementRateQuantity { get; set; } = 50;

    /// <summary>Defaults to 1 minute.</summary>
    public TimeSpan AnnouncementRateInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Offers queued at once per IP. Defaults to 10.</summary>
    public int OfferLimitEntryCount { get; set; } = 10;

    /// <summary>Offer token-bucket size and refill per <see cref="OfferRateInterval"/>. Defaults to 50.</summary>
    public int OfferRateQuantity { get; set; } = 50;

    /// <summary>Defaults to 1 minute.</summary>
    public TimeSpan OfferRateInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>An offer with less time than this left is dropped (no match): the client could not finish WebRTC. Defaults to 1 s.</summary>
    public TimeSpan OfferMinimumDeadline { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Queue caps; beyond them requests are shed. Defaults to 5,000,000 each.</summary>
    public int MaxAnnouncements { get; set; } = 5_000_000;

    /// <summary>Defaults to 5,000,000.</summary>
    public int MaxOffers { get; set; } = 5_000_000;

    /// <summary>Matched offers awaiting the proxy's answer. Defaults to 5,000,000.</summary>
    public int MaxPendingAnswers { get; set; } = 5_000_000;

    /// <summary>Per-IP limiter states kept; beyond this the idle ones are reaped, then new IPs are limited. Defaults to 1,000,000.</summary>
    public int MaxRateLimitEntries { get; set; } = 1_000_000;

    /// <summary>Queue entries examined per match at most, so one match never costs more than this. Defaults to 100.</summary>
    public int ProbeLimit { get; set; } = 100;

    /// <summary>Test and lab setting: pair peers of the same country and ASN in common compartments. Defaults to false.</summary>
    public bool AllowCommonAsnMatching { get; set; }

    /// <summary>
    /// Says whether the broker process is under load (memory, CPU). While true, an announcement is accepted
    /// only when the announcement queue is shorter than half the offer queue, and vice versa. Defaults to never.
    /// </summary>
    public Func<bool>? IsLoadLimiting { get; set; }

    /// <summary>
    /// Says whether a proxy (ID, ASN) has recent quality for clients of an ASN; a priority proxy that does counts as
    /// NAT-preferred for such a client (design §4.4). Called under the matcher's lock for at most a few queue heads
    /// per offer, so it must be quick and must not call back into the matcher. Defaults to none.
    /// </summary>
    public Func<Protocol.Id32, uint, uint, bool>? HasClientQuality { get; set; }

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first bad property.</summary>
    public void Validate()
    {
        Positive(AnnouncementLimitEntryCount, nameof(AnnouncementLimitEntryCount));
        Positive(AnnouncementRateQuantity, nameof(AnnouncementRateQuantity));
        Positive(OfferLimitEntryCount, nameof(OfferLimitEntryCount));
        Positive(OfferRateQuantity, nameof(OfferRateQuantity));
        Positive(MaxAnnouncements, nameof(MaxAnnouncements));
        Positive(MaxOffers, nameof(MaxOffers));
        Positive(MaxPendingAnswers, nameof(MaxPendingAnswers));
        Positive(MaxRateLimitEntries, nameof(MaxRateLimitEntries));
        Positive(ProbeLimit, nameof(ProbeLimit));
        if (AnnouncementRateInterval <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(AnnouncementRateInterval), AnnouncementRateInterval, "Must be positive.");
        }

        if (OfferRateInterval <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(OfferRateInterval), OfferRateInterval, "Must be positive.");
        }

        if (OfferMinimumDeadline < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(OfferMinimumDeadline), OfferMinimumDeadline, "Must not be negative.");
        }
    }

    private static void Positive(int value, string name)
    {
        if (value <= 0)
        {
            throw new ArgumentOutOfRangeException(name, value, "Must be positive.");
        }
    }
}
