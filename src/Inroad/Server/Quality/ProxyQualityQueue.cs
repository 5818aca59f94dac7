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
    private readonly Dictionary<ProxyQualityKey, Dictionary<uint, long>> _counts = [];
    private readonly Queue<ProxyQualityKey> _order = new();

    public ProxyQualityQueue(int maxKeys, int maxClientAsnsPerKey)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxKeys);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxClientAsnsPerKey);
        _maxKeys = maxKeys;
        _maxClientAsns = maxClientAsnsPerKey;
    }

    /// <summary>Proxy keys queued.</summary>
    public int Count => _order.Count;

    /// <summary>Tunnel counts dropped: the queue, or a key's client ASN list, was full, or the queue was cleared.</summary>
    public long Dropped { get; private set; }

    /// <summary>Counts one quality tunnel of <paramref name="key"/> for <paramref name="clientAsn"/> (0 = unknown); false when dropped.</summary>
    public bool Add(ProxyQualityKey key, uint clientAsn)
    {
        if (!_counts.TryGetValue(key, out Dictionary<uint, long>? asns))
        {
            if (_order.Count >= _maxKeys)
            {
                Dropped++;
                return false;
            }

            asns = [];
            _counts.Add(key, asns);
            _order.Enqueue(key);
        }

        if (asns.TryGetValue(clientAsn, out long count))
        {
            asns[clientAsn] = count + 1;
            return true;
        }

        if (asns.Count >= _maxClientAsns)
        {
            Dropped++;
            return false;
        }

        asns.Add(clientAsn, 1);
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
            Dictionary<uint, long> asns = _counts[key];
            bytes += EncodedSize(asns);
            if (entries.Count > 0 && bytes > maxCborBytes)
            {
                break;
            }

            _ = _order.Dequeue();
            _counts.Remove(key);
            entries.Add(new ProxyQualityCounts(key.ToBytes(), [.. asns.Select(a => (a.Key.ToString(CultureInfo.InvariantCulture), a.Value))]));
        }

        return entries.Count == 0 ? null : new ServerProxyQualityRequest { QualityCounts = entries };
    }

    /// <summary>Encoded counts per request at most: 48 KiB, leaving the session and obfuscation layers room under the broker's 64 KiB body limit.</summary>
    public const int MaxCborBytes = 48 * 1024;

    // CBOR size of one entry: the 36-byte key as a byte string, the map header, and per client ASN its decimal text and count.
    internal static long EncodedSize(Dictionary<uint, long> asns)
    {
        long size = HeadSize(ProxyQualityKey.Length) + ProxyQualityKey.Length + HeadSize((ulong)asns.Count);
        foreach ((uint asn, long count) in asns)
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

    // RFC 8949 §3: the initial byte holds values below 24; larger ones follow in 1, 2, 4 or 8 bytes.
    private static int HeadSize(ulong value) => value switch
    {
        < 24 => 1,
        <= byte.MaxValue => 2,
        <= ushort.MaxValue => 3,
        <= uint.MaxValue => 5,
        _ => 9,
    };

    /// <summary>Forgets everything queued, counting it as dropped; returns how many keys went.</summary>
    public int Clear()
    {
        int keys = _order.Count;
        Dropped += _counts.Values.Sum(asns => asns.Values.Sum());
        _order.Clear();
        _counts.Clear();
        return keys;
    }
}
