namespace Inroad.Sessions.Obfuscation;

/// <summary>
/// Obfuscation nonces seen recently (design §3.4): two Bloom filters; lookups check both, inserts go to the
/// current one, and every <c>period</c> the current becomes the previous and a cleared filter becomes current.
/// An entry therefore lives between one and two periods, longer than the ±period/2 the timestamp check allows,
/// so a replay is caught by one or the other. Thread-safe.
/// </summary>
internal sealed class ReplayHistory
{
    private readonly Lock _lock = new();
    private readonly TimeProvider _time;
    private readonly TimeSpan _period;
    private BloomFilter _current; // guarded by _lock (reads may race benignly)
    private BloomFilter _previous; // guarded by _lock
    private long _rotatedAtTicks; // guarded by _lock for writes

    public ReplayHistory(long capacity, double falsePositiveRate, TimeSpan period, TimeProvider time)
    {
        _time = time;
        _period = period;
        _current = new BloomFilter(capacity, falsePositiveRate);
        _previous = new BloomFilter(capacity, falsePositiveRate);
        _rotatedAtTicks = time.GetUtcNow().UtcTicks;
    }

    /// <summary>Memory held by both filters.</summary>
    public long SizeInBytes => _current.SizeInBytes + _previous.SizeInBytes;

    public bool Contains(ReadOnlySpan<byte> nonce)
    {
        RotateIfDue();
        bool inCurrent = Volatile.Read(ref _current).Contains(nonce);
        bool inPrevious = Volatile.Read(ref _previous).Contains(nonce);
        return inCurrent | inPrevious;
    }

    /// <summary>Adds the nonce unless present; false when it was already there (a replay that raced the first check).</summary>
    public bool TryAdd(ReadOnlySpan<byte> nonce)
    {
        lock (_lock)
        {
            RotateIfDueLocked();
            if (_current.Contains(nonce) || _previous.Contains(nonce))
            {
                return false;
            }

            _current.Add(nonce);
            return true;
        }
    }

    private void RotateIfDue()
    {
        if (_time.GetUtcNow().UtcTicks - Volatile.Read(ref _rotatedAtTicks) >= _period.Ticks)
        {
            lock (_lock)
            {
                RotateIfDueLocked();
            }
        }
    }

    private void RotateIfDueLocked()
    {
        long now = _time.GetUtcNow().UtcTicks;
        if (now - _rotatedAtTicks < _period.Ticks)
        {
            return;
        }

        // After two or more idle periods both filters hold only stale entries.
        if (now - _rotatedAtTicks >= 2 * _period.Ticks)
        {
            _previous.Clear();
        }

        (_current, _previous) = (_previous, _current);
        _current.Clear();
        Volatile.Write(ref _rotatedAtTicks, now);
    }
}
