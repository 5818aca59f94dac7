namespace Inroad.Client.Dial;

/// <summary>
/// How often in-proxy dials may start (design §8.5, tactic <c>InproxyClientDialRateLimitQuantity</c> /
/// <c>Interval</c>: 2 per 500 ms): a client whose tunnels keep dying must not turn into a stream of offers that
/// drains the broker's per-IP offer budget and every proxy's slots. Immutable, validated.
/// </summary>
internal sealed record DialRateLimit
{
    /// <summary>The default tactic: 2 dials per 500 ms.</summary>
    public static DialRateLimit Default { get; } = new();

    /// <summary>No limit.</summary>
    public static DialRateLimit Unlimited { get; } = new() { Quantity = 0 };

    /// <summary>Dials allowed per <see cref="Interval"/> (and the burst after a quiet spell); 0 is unlimited. Defaults to 2.</summary>
    public int Quantity { get; init; } = 2;

    /// <summary>The refill period of <see cref="Quantity"/> dials. Defaults to 500 ms.</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Throws naming the first bad property.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegative(Quantity, nameof(Quantity));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(Quantity, 1000, nameof(Quantity));
        if (Interval <= TimeSpan.Zero || Interval > TimeSpan.FromHours(1))
        {
            throw new ArgumentOutOfRangeException(nameof(Interval), Interval, "Must be within (0, 1 h].");
        }
    }
}
