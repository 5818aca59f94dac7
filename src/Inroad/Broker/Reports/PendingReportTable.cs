using Inroad.Protocol;

namespace Inroad.Broker.Reports;

/// <summary>
/// Pending relays by connection ID: bounded, and each entry lives a fixed time from its insertion. Because every
/// entry has the same lifetime, insertion order is expiry order, so a queue finds both the next to expire and the
/// one to evict when full (the oldest) in O(1); expired entries are swept at the head on each insertion.
/// Thread-safe.
/// </summary>
internal sealed class PendingReportTable
{
    private readonly Lock _lock = new();
    private readonly Dictionary<Id32, Entry> _map = []; // guarded by _lock
    private readonly Queue<Entry> _order = new(); // insertion order; may hold replaced entries; guarded by _lock
    private readonly int _capacity;
    private readonly long _ttlTicks;
    private readonly TimeProvider _time;

    public PendingReportTable(int capacity, TimeSpan ttl, TimeProvider time)
    {
        _capacity = capacity;
        _ttlTicks = (long)(ttl.TotalSeconds * time.TimestampFrequency);
        _time = time;
    }

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _map.Count;
            }
        }
    }

    /// <summary>Adds or replaces; evicts the oldest entry when full.</summary>
    public void Add(Id32 key, PendingServerReport value)
    {
        long now = _time.GetTimestamp();
        lock (_lock)
        {
            SweepLocked(now);
            var entry = new Entry(key, value, now + _ttlTicks);
            _map[key] = entry;
            _order.Enqueue(entry);
            while (_map.Count > _capacity && _order.TryDequeue(out Entry? oldest))
            {
                RemoveLocked(oldest);
            }
        }
    }

    /// <summary>Forgets every entry.</summary>
    public void Clear()
    {
        lock (_lock)
        {
            _map.Clear();
            _order.Clear();
        }
    }

    /// <summary>Finds a live entry.</summary>
    public bool TryGet(Id32 key, out PendingServerReport? value)
    {
        long now = _time.GetTimestamp();
        lock (_lock)
        {
            if (_map.TryGetValue(key, out Entry? entry) && entry.ExpiresAt > now)
            {
                value = entry.Value;
                return true;
            }
        }

        value = null;
        return false;
    }

    // Drops expired entries at the head; also trims replaced entries so the queue never outgrows the map by much.
    private void SweepLocked(long now)
    {
        while (_order.TryPeek(out Entry? head) && (head.ExpiresAt <= now || !ReferenceEquals(_map.GetValueOrDefault(head.Key), head)))
        {
            RemoveLocked(_order.Dequeue());
        }
    }

    private void RemoveLocked(Entry entry)
    {
        if (_map.TryGetValue(entry.Key, out Entry? current) && ReferenceEquals(current, entry))
        {
            _ = _map.Remove(entry.Key);
        }
    }

    private sealed record Entry(Id32 Key, PendingServerReport Value, long ExpiresAt);
}
