using System.Globalization;
using Inroad.Broker.Quality;
using Inroad.Protocol.Messages;

namespace Inroad.Server.Quality;

/// <summary>
/// Quality counts waiting to be sent (sans-IO; not thread-safe — the reporter guards it): per proxy key, the client
/// ASNs its quality tunnels came from and how many. Keys leave in the order they first arrived, at most
/// <c>maxRequestEntries</c> and <see cref="MaxCborBytes"/> per request; a key counted again while queued only raises
/// its counts.
/// </summary>
internal sealed class ProxyQualityQueue
{
    private readonly int _maxKeys;
    private readonly int _maxClientAsns;
    private readonly Dictionary<ProxyQualityKey, Entry> _counts = [];
    private readonly Queue<ProxyQualityKey> _order = new();

    public ProxyQualityQueue(int maxKeys, int maxClientAsnsPerKey)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxKeys);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxClientAsnsPerKey);
        _maxKeys = maxKeys;
        _maxClientAsns = maxClientAsnsPerKey;
    }

    /// <summary>Encoded counts per request at most: 48 KiB, leaving the session and obfuscation layers room under the broker's 64 KiB body limit.</summary>
    public const int MaxCborBytes = 48 * 1024;

    /// <summary>Proxy keys queued.</summary>
    public int Count => _order.Count;

    /// <summary>Tunnel counts dropped: the queue, or a key's client ASN list, was full, or the queue was cleared.</summary>
    public long Dropped { get; private set; }

    /// <summary>Counts one quality tunnel of <paramref name="key"/> for <paramref name="clientAsn"/> (0 = unknown); false when dropped.</summary>
    public bool Add(ProxyQualityKey key, uint clientAsn)
    {
        if (!_counts.TryGetValue(key, out Entry? entry))
        {
            if (_order.Count >= _maxKeys)
            {
                Dropped++;
                return false;
            }

            _counts.Add(key, new Entry { FirstAsn = clientAsn, FirstCount = 1 });
            _order.Enqueue(key);
            return true;
        }

        if (entry.FirstAsn == clientAsn)
        {
            entry.FirstCount++;
            return true;
        }

        if (entry.More is { } more && more.TryGetValue(clientAsn, out long count))
        {
            more[clientAsn] = count + 1;
            return true;
        }

        if (entry.AsnCount >= _maxClientAsns)
        {
            Dropped++;
            return false;
        }

        (entry.More ??= [])[clientAsn] = 1;
        return true;
    }

    /// <summary>
    /// Takes the oldest keys as one request: at most <paramref name="maxEntries"/>, and no more than fit in
    /// <paramref name="maxCborBytes"/> of encoded counts (a key with many client ASNs takes more room; the broker's
    /// body limit is 64 KiB). The first key is always taken. Null when empty.
    /// </summary>
    public ServerProxyQualityRequest? TakeBatch(int maxEntries, int maxCborBytes = MaxCborBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxEntries);
        var entries = new List<ProxyQualityCounts>(Math.Min(maxEntries, _order.Count));
        long bytes = 0;
        while (entries.Count < maxEntries && _order.TryPeek(out ProxyQualityKey key))
        {
            Entry entry = _counts[key];
            bytes += entry.EncodedSize();
            if (entries.Count > 0 && bytes > maxCborBytes)
            {
                break;
            }

            _ = _order.Dequeue();
            _counts.Remove(key);
            entries.Add(new ProxyQualityCounts(key.ToBytes(), [.. entry.Counts().Select(a => (a.Asn.ToString(CultureInfo.InvariantCulture), a.Count))]));
        }

        return entries.Count == 0 ? null : new ServerProxyQualityRequest { QualityCounts = entries };
    }

    /// <summary>Forgets everything queued, counting it as dropped; returns how many keys went.</summary>
    public int Clear()
    {
        int keys = _order.Count;
        Dropped += _counts.Values.Sum(e => e.Counts().Sum(c => c.Count));
        _order.Clear();
        _counts.Clear();
        return keys;
    }

    // RFC 8949 §3: the initial byte holds values below 24; larger ones follow in 1, 2, 4 or 8 bytes.
    private static int HeadSize(ulong value) => value switch
    {
        < 24 => 1,
        <= byte.MaxValue => 2,
        <= ushort.MaxValue => 3,
        <= uint.MaxValue => 5,
        _ => 9,
    };

    // One key's counts. Most keys see one client ASN between two requests, so the first is kept inline and a
    // dictionary exists only for keys with more: this is what bounds the memory of a full queue.
    private sealed class Entry
    {
        public uint FirstAsn;
        public long FirstCount;
        public Dictionary<uint, long>? More;

        public int AsnCount => 1 + (More?.Count ?? 0);

        public IEnumerable<(uint Asn, long Count)> Counts()
        {
            yield return (FirstAsn, FirstCount);
            if (More is not null)
            {
                foreach ((uint asn, long count) in More)
                {
                    yield return (asn, count);
                }
            }
        }

        // CBOR size: the 36-byte key as a byte string, the map header, and per client ASN its decimal text and count.
        public long EncodedSize()
        {
            long size = HeadSize(ProxyQualityKey.Length) + ProxyQualityKey.Length + HeadSize((ulong)AsnCount);
            foreach ((uint asn, long count) in Counts())
            {
                int digits = 1;
                for (uint v = asn; v >= 10; v /= 10)
                {
                    digits++;
                }

                size += HeadSize((ulong)digits) + digits + HeadSize((ulong)count);
            }

            return size;
        }
    }
}
