namespace Inroad.Broker.Quality;

/// <summary>
/// The broker's memory of which proxies recently carried good tunnels (design §4.5): tunnel servers report
/// (proxy ID, proxy ASN) → client ASNs; an entry lives <see cref="ProxyQualityOptions.Ttl"/> after its latest report.
/// Entries are kept in one list in report order, which is also expiry order (one TTL for all), so expired entries
/// are dropped from its front and, when the store is full, the least recently reported entry is the front one:
/// no call ever scans. Every match of a proxy with an entry is remembered in a FIFO (one fixed deadline, so also in
/// deadline order); a match whose deadline passes without a report since the match counts as failed, and
/// <see cref="ProxyQualityOptions.FailedMatchThreshold"/> failures in a row drop the entry. Times are milliseconds on
/// any monotonic clock. Thread-safe (one lock; each call is O(1) amortised).
/// </summary>
internal sealed class ProxyQualityStore
{
    private readonly Lock _lock = new();
    private readonly ProxyQualityOptions _options;
    private readonly long _ttlMs;
    private readonly long _pendingMs;
    private readonly Dictionary<ProxyQualityKey, int> _index = [];
    private readonly Queue<PendingMatch> _pending = new();
    private Entry[] _entries = new Entry[16];
    private int _highWater;
    private int _free = -1;
    private int _head = -1; // least recently reported
    private int _tail = -1; // most recently reported

    public ProxyQualityStore(ProxyQualityOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _ttlMs = (long)options.Ttl.TotalMilliseconds;
        _pendingMs = (long)options.PendingFailedMatchDeadline.TotalMilliseconds;
    }

    /// <summary>Entries held (some may have expired and not been dropped yet).</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _index.Count;
            }
        }
    }

    /// <summary>Matches awaiting a report.</summary>
    public int PendingMatchCount
    {
        get
        {
            lock (_lock)
            {
                return _pending.Count;
            }
        }
    }

    /// <summary>
    /// Records a server's report that <paramref name="key"/> carried quality tunnels for clients in
    /// <paramref name="clientAsns"/> (0 = unknown): creates or refreshes the entry and clears its failed matches.
    /// </summary>
    public void Report(ProxyQualityKey key, ReadOnlySpan<uint> clientAsns, long nowMs)
    {
        lock (_lock)
        {
            Expire(nowMs);
            if (_index.TryGetValue(key, out int at))
            {
                MoveToTail(at);
            }
            else
            {
                if (_index.Count >= _options.MaxEntries)
                {
                    Remove(_head);
                }

                at = Allocate();
                _entries[at] = new Entry { Key = key, Prev = -1, Next = -1 };
                _index.Add(key, at);
                Append(at);
            }

            ref Entry entry = ref _entries[at];
            entry.ExpiresMs = nowMs + _ttlMs;
            entry.LastReportMs = nowMs;
            entry.FailedMatches = 0;
            foreach (uint asn in clientAsns)
            {
                AddClientAsn(ref entry, asn);
            }
        }
    }

    /// <summary>True when <paramref name="key"/> has an unexpired entry (any client ASN).</summary>
    public bool HasQuality(ProxyQualityKey key, long nowMs) => HasQuality(key, clientAsn: null, nowMs);

    /// <summary>True when <paramref name="key"/> has an unexpired entry naming <paramref name="clientAsn"/> (null: any).</summary>
    public bool HasQuality(ProxyQualityKey key, uint? clientAsn, long nowMs)
    {
        lock (_lock)
        {
            if (!_index.TryGetValue(key, out int at))
            {
                return false;
            }

            ref Entry entry = ref _entries[at];
            if (entry.ExpiresMs <= nowMs)
            {
                Expire(nowMs);
                return false;
            }

            return clientAsn is not uint asn || (entry.ClientAsns is { } asns && Array.IndexOf(asns, asn, 0, entry.ClientAsnCount) >= 0);
        }
    }

    /// <summary>
    /// A proxy was matched: if it has an entry, the match must be followed by a report within
    /// <see cref="ProxyQualityOptions.PendingFailedMatchDeadline"/> or it counts as failed.
    /// </summary>
    public void Matched(ProxyQualityKey key, long nowMs)
    {
        lock (_lock)
        {
            Expire(nowMs);
            if (_index.ContainsKey(key) && _pending.Count < _options.MaxPendingMatches)
            {
                _pending.Enqueue(new PendingMatch(key, nowMs));
            }
        }
    }

    /// <summary>Drops expired entries and settles matches whose report deadline passed; callers need not call it.</summary>
    public void Expire(long nowMs)
    {
        lock (_lock)
        {
            while (_head >= 0 && _entries[_head].ExpiresMs <= nowMs)
            {
                Remove(_head);
            }

            while (_pending.TryPeek(out PendingMatch match) && match.MatchedMs + _pendingMs <= nowMs)
            {
                _ = _pending.Dequeue();
                if (_index.TryGetValue(match.Key, out int at) && _entries[at].LastReportMs < match.MatchedMs
                    && ++_entries[at].FailedMatches >= _options.FailedMatchThreshold)
                {
                    Remove(at);
                }
            }
        }
    }

    // The most recent ASNs win: a full list drops its oldest (a ring).
    private void AddClientAsn(ref Entry entry, uint asn)
    {
        entry.ClientAsns ??= new uint[Math.Min(4, _options.MaxClientAsnsPerEntry)];
        if (Array.IndexOf(entry.ClientAsns, asn, 0, entry.ClientAsnCount) >= 0)
        {
            return;
        }

        if (entry.ClientAsnCount < entry.ClientAsns.Length)
        {
            entry.ClientAsns[entry.ClientAsnCount++] = asn;
        }
        else if (entry.ClientAsns.Length < _options.MaxClientAsnsPerEntry)
        {
            Array.Resize(ref entry.ClientAsns, Math.Min(entry.ClientAsns.Length * 2, _options.MaxClientAsnsPerEntry));
            entry.ClientAsns[entry.ClientAsnCount++] = asn;
        }
        else
        {
            entry.ClientAsns[entry.NextClientAsn] = asn;
            entry.NextClientAsn = (entry.NextClientAsn + 1) % entry.ClientAsns.Length;
        }
    }

    private int Allocate()
    {
        if (_free >= 0)
        {
            int index = _free;
            _free = _entries[index].Next;
            return index;
        }

        if (_highWater == _entries.Length)
        {
            Array.Resize(ref _entries, _entries.Length * 2);
        }

        return _highWater++;
    }

    private void Remove(int at)
    {
        Unlink(at);
        _ = _index.Remove(_entries[at].Key);
        _entries[at] = new Entry { Next = _free };
        _free = at;
    }

    private void Append(int at)
    {
        _entries[at].Prev = _tail;
        _entries[at].Next = -1;
        if (_tail >= 0)
        {
            _entries[_tail].Next = at;
        }
        else
        {
            _head = at;
        }

        _tail = at;
    }

    private void MoveToTail(int at)
    {
        if (at != _tail)
        {
            Unlink(at);
            Append(at);
        }
    }

    private void Unlink(int at)
    {
        ref Entry entry = ref _entries[at];
        if (entry.Prev >= 0)
        {
            _entries[entry.Prev].Next = entry.Next;
        }
        else
        {
            _head = entry.Next;
        }

        if (entry.Next >= 0)
        {
            _entries[entry.Next].Prev = entry.Prev;
        }
        else
        {
            _tail = entry.Prev;
        }
    }

    private struct Entry
    {
        public ProxyQualityKey Key;
        public long ExpiresMs;
        public long LastReportMs;
        public uint[]? ClientAsns;
        public int ClientAsnCount;
        public int NextClientAsn;
        public int FailedMatches;
        public int Prev;
        public int Next;
    }

    private readonly record struct PendingMatch(ProxyQualityKey Key, long MatchedMs);
}
