namespace Inroad.Proxy;

/// <summary>
/// A per-direction byte rate limit (design §6.7: the proxy throttles each client's relay). Tokens refill at
/// <c>rate</c> per second up to a quarter second's worth; a take larger than the balance is allowed and
/// leaves a debt the next take waits out, so a caller never needs to split its buffer. Single caller
/// (one copy loop); not thread-safe.
/// </summary>
internal sealed class TokenBucket
{
    private readonly double _rate;
    private readonly double _burst;
    private readonly TimeProvider _time;
    private double _balance;
    private long _last;

    /// <summary>Creates a full bucket for <paramref name="bytesPerSecond"/> (positive).</summary>
    public TokenBucket(long bytesPerSecond, TimeProvider timeProvider)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bytesPerSecond);
        ArgumentNullException.ThrowIfNull(timeProvider);
        _rate = bytesPerSecond;
        _burst = Math.Max(1, bytesPerSecond / 4.0);
        _time = timeProvider;
        _balance = _burst;
        _last = timeProvider.GetTimestamp();
    }

    /// <summary>The largest take that never waits when the bucket is full (a quarter second's worth, at least 1).</summary>
    public int Burst => (int)Math.Min(int.MaxValue, _burst);

    /// <summary>Takes <paramref name="bytes"/> tokens and returns how long the caller must wait before using them.</summary>
    public TimeSpan Take(int bytes)
    {
        long now = _time.GetTimestamp();
        _balance = Math.Min(_burst, _balance + (_time.GetElapsedTime(_last, now).TotalSeconds * _rate));
        _last = now;
        _balance -= bytes;
        return _balance >= 0 ? TimeSpan.Zero : TimeSpan.FromSeconds(-_balance / _rate);
    }

    /// <summary>Takes <paramref name="bytes"/> tokens, waiting on the clock while in debt.</summary>
    public Task TakeAsync(int bytes, CancellationToken cancellationToken)
    {
        TimeSpan wait = Take(bytes);
        return wait == TimeSpan.Zero ? Task.CompletedTask : Task.Delay(wait, _time, cancellationToken);
    }
}
