namespace Inroad.Broker.Quality;

/// <summary>Proxy quality and priority (design §4.5, §9 "Proxy quality"); off by default as in the design.</summary>
internal sealed class ProxyQualityOptions
{
    /// <summary>Accept quality reports and prioritise proxies with quality. Defaults to false.</summary>
    public bool Enabled { get; set; }

    /// <summary>How long a report keeps a proxy's quality (refreshed by every report). Defaults to 24 h.</summary>
    public TimeSpan Ttl { get; set; } = TimeSpan.FromHours(24);

    /// <summary>
    /// Entries kept; beyond this the least recently reported is forgotten. Defaults to 1,000,000 (≈ 150 MB; the
    /// design's broker keeps 10 M).
    /// </summary>
    public int MaxEntries { get; set; } = 1_000_000;

    /// <summary>Client ASNs remembered per entry (the most recently reported). Defaults to 16.</summary>
    public int MaxClientAsnsPerEntry { get; set; } = 16;

    /// <summary>A match not followed by a quality report within this time counts as a failed match. Defaults to 5 minutes.</summary>
    public TimeSpan PendingFailedMatchDeadline { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Failed matches in a row after which the entry is dropped. Defaults to 10.</summary>
    public int FailedMatchThreshold { get; set; } = 10;

    /// <summary>Matches awaiting their quality report at once; beyond this new ones are not tracked. Defaults to 1,000,000.</summary>
    public int MaxPendingMatches { get; set; } = 1_000_000;

    /// <summary>Proxy-key entries accepted per ServerProxyQualityRequest. Defaults to 10,000 (design §2.2).</summary>
    public int MaxRequestEntries { get; set; } = 10_000;

    /// <summary>
    /// Which proxies with quality are prioritised: API parameter name (sponsor_id, client_platform, client_version,
    /// network_type) → accepted values, <c>*</c> as a wildcard within a value. Every named parameter must match.
    /// Empty (the default) prioritises nobody, as in the design.
    /// </summary>
    public Dictionary<string, string[]> PrioritizeFilter { get; set; } = [];

    /// <summary>Lowest proxy protocol version prioritised. Defaults to 0.</summary>
    public int PrioritizeMinVersion { get; set; }

    /// <summary>Chance that a proxy passing the other checks is prioritised. Defaults to 1.0.</summary>
    public double PrioritizeProbability { get; set; } = 1.0;

    /// <summary>Throws naming the first bad property.</summary>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(PrioritizeFilter, nameof(PrioritizeFilter));
        if (Ttl <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(Ttl), Ttl, "Must be positive.");
        }

        if (PendingFailedMatchDeadline <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(PendingFailedMatchDeadline), PendingFailedMatchDeadline, "Must be positive.");
        }

        foreach ((int value, string name) in new[]
        {
            (MaxEntries, nameof(MaxEntries)),
            (MaxClientAsnsPerEntry, nameof(MaxClientAsnsPerEntry)),
            (FailedMatchThreshold, nameof(FailedMatchThreshold)),
            (MaxPendingMatches, nameof(MaxPendingMatches)),
            (MaxRequestEntries, nameof(MaxRequestEntries)),
        })
        {
            if (value <= 0)
            {
                throw new ArgumentOutOfRangeException(name, value, "Must be positive.");
            }
        }

        if (PrioritizeProbability is < 0 or > 1 || double.IsNaN(PrioritizeProbability))
        {
            throw new ArgumentOutOfRangeException(nameof(PrioritizeProbability), PrioritizeProbability, "Must be within [0, 1].");
        }
    }
}
