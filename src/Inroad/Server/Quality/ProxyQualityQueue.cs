using System.Globalization;
using Inroad.Broker.Quality;
using Inroad.Protocol.Messages;

namespace Inroad.Server.Quality;

/// <summary>
/// Quality counts waiting to be sent (sans-IO; not thread-safe — the reporter guards it): per proxy key, the client
/// ASNs its quality tunnels came from and how many. Keys leave in the order they first arrived, at most
/// <c>maxRequestEntries</c> per request; a key counted again while queued only raises its counts.
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

    /// <summary>Takes the oldest ≤ <paramref name="maxEntries"/> keys as one request; null when empty.</summary>
    public ServerProxyQualityRequest? TakeBatch(int maxEntries)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxEntries);
        if (_order.Count == 0)
        {
            return null;
        }

        var entries = new ProxyQualityCounts[Math.Min(maxEntries, _order.Count)];
        for (int i = 0; i < entries.Length; i++)
        {
            ProxyQualityKey key = _order.Dequeue();
            _counts.Remove(key, out Dictionary<uint, long>? asns);
            entries[i] = new ProxyQualityCounts(
                key.ToBytes(),
                [.. asns!.Select(a => (a.Key.ToString(CultureInfo.InvariantCulture), a.Value))]);
        }

        return new ServerProxyQualityRequest { QualityCounts = entries };
    }

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
