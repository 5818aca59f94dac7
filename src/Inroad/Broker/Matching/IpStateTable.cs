using System.Runtime.CompilerServices;
using System.Security.Cryptography;

namespace Inroad.Broker.Matching;

/// <summary>
/// The per-IP limiter state of millions of peers in one open-addressed array (linear probing, backward-shift
/// removal): each entry is 32 bytes holding its key next to its counters, half a cache line, so a lookup in a
/// table far larger than the caches costs one miss where a <see cref="Dictionary{TKey, TValue}"/> costs two or
/// three (bucket, entry, and the entry's key). The table stays at most 70 % full.
/// </summary>
/// <remarks>
/// Slots are found by multiply-shift hashing with a per-process random multiplier, so a peer that picks its
/// addresses (IPv6 /56 prefixes are cheap) cannot aim them at one cluster. Not thread-safe.
/// </remarks>
internal sealed class IpStateTable
{
    private const int MinimumCapacity = 1 << 10;

    private readonly ulong _multiplierHigh = RandomOdd();
    private readonly ulong _multiplierLow = RandomOdd();
    private Entry[] _entries = new Entry[MinimumCapacity];
    private int _shift = 64 - 10;
    private int _count;

    /// <summary>Keys held.</summary>
    public int Count => _count;

    /// <summary>The entry for <paramref name="key"/>, or a null ref.</summary>
    public ref Entry Find(RateLimitKey key)
    {
        (ulong high, ulong low) = Split(key);
        ref Entry e = ref _entries[Probe(high, low)];
        return ref e.IsEmpty ? ref Unsafe.NullRef<Entry>() : ref e;
    }

    /// <summary>The entry for <paramref name="key"/>; a new one (counters zero) is added when missing.</summary>
    public ref Entry FindOrAdd(RateLimitKey key, out bool added)
    {
        if ((_count + 1) * 10L > _entries.Length * 7L)
        {
            Resize(_entries.Length * 2);
        }

        (ulong high, ulong low) = Split(key);
        ref Entry e = ref _entries[Probe(high, low)];
        added = e.IsEmpty;
        if (added)
        {
            e.KeyHigh = high;
            e.KeyLow = low;
            _count++;
        }

        return ref e;
    }

    // The slot holding the key, or the empty slot that ends its cluster (where it would go).
    private int Probe(ulong high, ulong low)
    {
        Entry[] entries = _entries;
        int mask = entries.Length - 1;
        for (int i = Home(high, low); ; i = (i + 1) & mask)
        {
            ref Entry e = ref entries[i];
            if ((e.KeyLow == low && e.KeyHigh == high) || e.IsEmpty)
            {
                return i;
            }
        }
    }

    /// <summary>Removes every entry <paramref name="remove"/> picks; returns how many. O(capacity).</summary>
    public int RemoveWhere<TState>(Func<TState, Entry, bool> remove, TState state)
    {
        Entry[] entries = _entries;
        int mask = entries.Length - 1;

        // Start just after an empty slot: removal shifts entries back only within their cluster, and no
        // cluster crosses an empty slot, so every entry is looked at exactly once (a shifted-in entry when
        // its new slot is looked at again).
        int start = 0;
        while (!entries[start].IsEmpty)
        {
            start++;
        }

        int removed = 0;
        for (int n = 1; n < entries.Length; n++)
        {
            int i = (start + n) & mask;
            while (!entries[i].IsEmpty && remove(state, entries[i]))
            {
                RemoveAt(i);
                removed++;
            }
        }

        if (_entries.Length > MinimumCapacity && _count * 10L < _entries.Length * 2L)
        {
            Resize(_entries.Length / 2); // shrink after a wave of peers left
        }

        return removed;
    }

    private void RemoveAt(int hole)
    {
        Entry[] entries = _entries;
        int mask = entries.Length - 1;
        int j = hole;
        while (true)
        {
            j = (j + 1) & mask;
            ref Entry candidate = ref entries[j];
            if (candidate.IsEmpty)
            {
                break;
            }

            // The candidate may fill the hole unless its home lies cyclically in (hole, j].
            int home = Home(candidate.KeyHigh, candidate.KeyLow);
            bool stays = hole <= j ? home > hole && home <= j : home > hole || home <= j;
            if (!stays)
            {
                entries[hole] = candidate;
                hole = j;
            }
        }

        entries[hole] = default;
        _count--;
    }

    private void Resize(int capacity)
    {
        Entry[] old = _entries;
        _entries = new Entry[capacity];
        _shift = 64 - System.Numerics.BitOperations.Log2((uint)capacity);
        int mask = capacity - 1;
        foreach (ref readonly Entry e in old.AsSpan())
        {
            if (!e.IsEmpty)
            {
                int i = Home(e.KeyHigh, e.KeyLow);
                while (!_entries[i].IsEmpty)
                {
                    i = (i + 1) & mask;
                }

                _entries[i] = e;
            }
        }
    }

    private int Home(ulong high, ulong low) => (int)(((high * _multiplierHigh) ^ (low * _multiplierLow)) * 0x9E3779B97F4A7C15UL >> _shift);

    // An IPv6 key is a /56 (its low 72 bits zero) and an IPv4 key is ::ffff:a.b.c.d, so a stored low half of
    // zero with a zero high half marks an empty slot, and the one key that would look like it (::/56) is
    // stored as low = 1, which no real key can be.
    private static (ulong High, ulong Low) Split(RateLimitKey key)
    {
        ulong high = (ulong)(key.Value >> 64);
        ulong low = (ulong)key.Value;
        return high == 0 && low == 0 ? (0, 1) : (high, low);
    }

    private static ulong RandomOdd()
    {
        Span<byte> bytes = stackalloc byte[8];
        RandomNumberGenerator.Fill(bytes);
        return BitConverter.ToUInt64(bytes) | 1;
    }

    /// <summary>One peer's counters (32 bytes). Queued-entry counts saturate at 65,535.</summary>
    internal struct Entry
    {
        public ulong KeyHigh;
        public ulong KeyLow;
        public ushort Announcements;
        public ushort Offers;
        public float AnnounceTokens;
        public float OfferTokens;

        // Milliseconds on the matcher's clock, modulo 2^32: a bucket is refilled at every use, and the broker
        // reaps idle peers' state every few minutes, so differences stay exact.
        public uint Stamp;

        public readonly bool IsEmpty => KeyLow == 0 && KeyHigh == 0;
    }
}
