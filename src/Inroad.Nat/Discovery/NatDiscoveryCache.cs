namespace Inroad.Nat.Discovery;

/// <summary>
/// Discovery results per network ID (design §7: discover once per network; forget on network change or new
/// tactics). Entries expire after <c>ttl</c>. Thread-safe.
/// </summary>
public sealed class NatDiscoveryCache(TimeSpan ttl, TimeProvider? timeProvider = null)
{
    private readonly TimeProvider _time = timeProvider ?? TimeProvider.System;
    private readonly Dictionary<string, (NatDiscoveryResult Result, DateTimeOffset Expires)> _entries = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    /// <summary>The cached result for <paramref name="networkId"/>, if fresh.</summary>
    public bool TryGet(string networkId, out NatDiscoveryResult? result)
    {
        lock (_lock)
        {
            if (_entries.TryGetValue(networkId, out var e) && e.Expires > _time.GetUtcNow())
            {
                result = e.Result;
                return true;
            }

            _entries.Remove(networkId);
            result = null;
            return false;
        }
    }

    /// <summary>Stores a result (only supported, complete ones are worth keeping).</summary>
    public void Set(string networkId, NatDiscoveryResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        lock (_lock)
        {
            _entries[networkId] = (result, _time.GetUtcNow() + ttl);
        }
    }

    /// <summary>Forgets everything (new tactics arrived).</summary>
    public void Clear()
    {
        lock (_lock)
        {
            _entries.Clear();
        }
    }

    /// <summary>The cached result for the network, or runs <paramref name="discover"/> once and caches it when it is complete.</summary>
    public async Task<NatDiscoveryResult> GetOrDiscoverAsync(string networkId, Func<CancellationToken, Task<NatDiscoveryResult>> discover, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(discover);
        if (TryGet(networkId, out NatDiscoveryResult? cached))
        {
            return cached!;
        }

        NatDiscoveryResult fresh = await discover(ct).ConfigureAwait(false);
        if (fresh.Supported && !fresh.Type.IsUnknown)
        {
            Set(networkId, fresh);
        }

        return fresh;
    }
}
