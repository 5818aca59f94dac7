namespace Inroad.Broker.Matching;

/// <summary>What the matcher did with an announcement or an offer.</summary>
internal enum MatchOutcome
{
    /// <summary>Queued; the ticket completes later (match, or null on expiry/cancel).</summary>
    Queued,

    /// <summary>Matched at once; the ticket is already complete with the match.</summary>
    Matched,

    /// <summary>Refused by a per-IP entry or rate limit: the requester backs off.</summary>
    Limited,

    /// <summary>An offer with too little time left to be worth matching: treated as no match.</summary>
    NoMatch,

    /// <summary>Refused to shed load (queues lopsided under load, or at capacity): a generic 404.</summary>
    Shed,
}
