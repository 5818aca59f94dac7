using Inroad.Sessions.Keys;

namespace Inroad.Sessions;

/// <summary>
/// A bounded map from 32-byte IDs to values with least-recently-used eviction and one idle TTL that each hit
/// extends. Because every entry has the same TTL and a hit moves it to the front, the back of the list is always
/// the next to expire: expiry costs O(expired) at the tail, never a scan of the whole cache. Thread-safe.
/// </summary>
/// <typeparam name="TValue">The value type.</typeparam>
internal sealed class ExpiringLru<TValue>
    where TValue : class
{
    private readonly Lock _lock = new();
    private readonly Dictionary<Id32, Node> _map = []; // guarded by _lock
    private readonly int _capacity;
    private readonly long _ttlTicks;
    private readonly TimeProvider _time;
    private Node? _head; // most recent; guarded by _lock
    private Node? _tail; // least recent; guarded by _lock

    /// <param name="capacity">Most entries kept.</param>
    /// <param name="ttl">Idle lifetime, or <see cref="Timeout.InfiniteTimeSpan"/>.</param>
    /// <param name="time">Clock.</param>
    public ExpiringLru(int capacity, TimeSpan ttl, TimeProvider time)
    {
        _capacity = capacity;
        _ttlTicks = ttl == Timeout.InfiniteTimeSpan ? long.MaxValue : ttl.Ticks;
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

    /// <summary>Finds a live entry, moves it to the front and extends its TTL.</summary>
    public bool TryGet(Id32 key, out TValue? value)
    {
        long now = Now();
        lock (_lock)
        {
            if (_map.TryGetValue(key, out Node? node))
            {
                if (node.ExpiresAt > now)
                {
                    node.ExpiresAt = Expiry(now);
                    MoveToFrontLocked(node);
                    value = node.Value;
                    return true;
                }

                RemoveLocked(node);
            }
        }

        value = null;
        return false;
    }

    /// <summary>
    /// Adds an entry. When full, evicts the least recently used entry if <paramref name="evictWhenFull"/>,
    /// otherwise refuses. False when the key exists or the add was refused.
    /// </summary>
    public bool TryAdd(Id32 key, TValue value, bool evictWhenFull)
    {
        long now = Now();
        lock (_lock)
        {
            RemoveExpiredLocked(now);
            if (_map.ContainsKey(key))
            {
                return false;
            }

            if (_map.Count >= _capacity)
            {
                if (!evictWhenFull || _tail is null)
                {
                    return false;
                }

                RemoveLocked(_tail);
            }

            var node = new Node(key, value) { ExpiresAt = Expiry(now) };
            _map.Add(key, node);
            MoveToFrontLocked(node);
            return true;
        }
    }

    /// <summary>True when there is room for one more entry after dropping expired ones.</summary>
    public bool HasRoom()
    {
        long now = Now();
        lock (_lock)
        {
            RemoveExpiredLocked(now);
            return _map.Count < _capacity;
        }
    }

    public bool Remove(Id32 key)
    {
        lock (_lock)
        {
            if (_map.TryGetValue(key, out Node? node))
            {
                RemoveLocked(node);
                return true;
            }

            return false;
        }
    }

    /// <summary>Removes every entry matching <paramref name="predicate"/> (a linear pass; for rare administrative changes).</summary>
    public int RemoveWhere(Func<TValue, bool> predicate)
    {
        lock (_lock)
        {
            var doomed = _map.Values.Where(n => predicate(n.Value)).ToList();
            foreach (Node node in doomed)
            {
                RemoveLocked(node);
            }

            return doomed.Count;
        }
    }

    private long Now() => _time.GetUtcNow().UtcTicks;

    private long Expiry(long now) => _ttlTicks == long.MaxValue ? long.MaxValue : now + _ttlTicks;

    private void RemoveExpiredLocked(long now)
    {
        while (_tail is not null && _tail.ExpiresAt <= now)
        {
            RemoveLocked(_tail);
        }
    }

    private void MoveToFrontLocked(Node node)
    {
        if (_head == node)
        {
            return;
        }

        Unlink(node);
        node.Next = _head;
        if (_head is not null)
        {
            _head.Previous = node;
        }

        _head = node;
        _tail ??= node;
    }

    private void RemoveLocked(Node node)
    {
        Unlink(node);
        _map.Remove(node.Key);
    }

    private void Unlink(Node node)
    {
        if (node.Previous is not null)
        {
            node.Previous.Next = node.Next;
        }
        else if (_head == node)
        {
            _head = node.Next;
        }

        if (node.Next is not null)
        {
            node.Next.Previous = node.Previous;
        }
        else if (_tail == node)
        {
            _tail = node.Previous;
        }

        node.Previous = null;
        node.Next = null;
    }

    private sealed class Node(Id32 key, TValue value)
    {
        public Id32 Key { get; } = key;

        public TValue Value { get; } = value;

        public long ExpiresAt { get; set; }

        public Node? Previous { get; set; }

        public Node? Next { get; set; }
    }
}
