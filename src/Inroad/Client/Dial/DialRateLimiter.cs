namespace Inroad.Client.Dial;

/// <summary>
/// A token bucket of dial starts: <see cref="DialRateLimit.Quantity"/> tokens, refilled at that many per
/// <see cref="DialRateLimit.Interval"/>. A start with no token reserves the next one and waits for it, so
/// concurrent dials queue in order instead of all waking at once. Thread-safe.
/// </summary>
internal sealed class DialRateLimiter
{
    private readonly DialRateLimit _limit;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private readonly double _perSecond;
    private double _tokens; // guarded by _lock; negative = reserved by waiting dials
    private long _last; // guarded by _lock

    public DialRateLimiter(DialRateLimit limit, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(limit);
        limit.Validate();
        _limit = limit;
        _time = timeProvider;
        _perSecond = limit.Quantity / limit.Interval.TotalSeconds;
        _tokens = limit.Quantity;
        _last = timeProvider.GetTimestamp();
    }

    /// <summary>Takes one token and returns how long to wait before using it (zero when one was there).</summary>
    public TimeSpan Reserve()
    {
        if (_limit.Quantity == 0)
        {
            return TimeSpan.Zero;
        }

        lock (_lock)
        {
            long now = _time.GetTimestamp();
            _tokens = Math.Min(_limit.Quantity, _tokens + (_time.GetElapsedTime(_last, now).TotalSeconds * _perSecond));
            _last = now;
            _tokens -= 1;
            return _tokens >= 0 ? TimeSpan.Zero : TimeSpan.FromSeconds(-_tokens / _perSecond);
        }
    }

    /// <summary>Waits for a token on the injected clock.</summary>
    public Task WaitAsync(CancellationToken cancellationToken)
    {
        TimeSpan wait = Reserve();
        return wait == TimeSpan.Zero ? Task.CompletedTask : Task.Delay(wait, _time, cancellationToken);
    }
}
