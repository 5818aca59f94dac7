namespace Inroad.Proxy;

/// <summary>
/// Client slots (design §8.2), optionally shared by several <see cref="InproxyProxy"/> instances on one
/// host so together they never serve more than the operator allowed. A proxy announces only while a slot
/// is free and acquires one after a match; when another instance took the last slot meanwhile, the match
/// is answered with "proxy capacity exceeded". Thread-safe.
/// </summary>
internal sealed class ProxyLimits
{
    private readonly Lock _lock = new();
    private readonly int[] _max = new int[2];
    private readonly int[] _active = new int[2]; // guarded by _lock

    /// <summary>Creates limits of <paramref name="maxCommonClients"/> and <paramref name="maxPersonalClients"/> (0 disables a kind).</summary>
    public ProxyLimits(int maxCommonClients, int maxPersonalClients)
    {
        SetLimits(maxCommonClients, maxPersonalClients);
    }

    /// <summary>The current maximum of <paramref name="kind"/>.</summary>
    public int Max(ProxyClientKind kind)
    {
        lock (_lock)
        {
            return _max[(int)kind];
        }
    }

    /// <summary>Clients of <paramref name="kind"/> holding a slot.</summary>
    public int Active(ProxyClientKind kind)
    {
        lock (_lock)
        {
            return _active[(int)kind];
        }
    }

    /// <summary>Free slots of <paramref name="kind"/> (never negative).</summary>
    public int Free(ProxyClientKind kind)
    {
        lock (_lock)
        {
            return Math.Max(0, _max[(int)kind] - _active[(int)kind]);
        }
    }

    /// <summary>Changes the maxima; clients already served keep their slots (soft limit).</summary>
    public void SetLimits(int maxCommonClients, int maxPersonalClients)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxCommonClients);
        ArgumentOutOfRangeException.ThrowIfNegative(maxPersonalClients);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxCommonClients, InproxyProxy.MaxClientsLimit);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxPersonalClients, InproxyProxy.MaxClientsLimit);
        lock (_lock)
        {
            _max[(int)ProxyClientKind.Common] = maxCommonClients;
            _max[(int)ProxyClientKind.Personal] = maxPersonalClients;
        }
    }

    /// <summary>Takes a slot of <paramref name="kind"/>; false when none is free.</summary>
    public bool TryAcquire(ProxyClientKind kind)
    {
        lock (_lock)
        {
            if (_active[(int)kind] >= _max[(int)kind])
            {
                return false;
            }

            _active[(int)kind]++;
            return true;
        }
    }

    /// <summary>Returns a slot taken by <see cref="TryAcquire"/>.</summary>
    public void Release(ProxyClientKind kind)
    {
        lock (_lock)
        {
            _active[(int)kind] = Math.Max(0, _active[(int)kind] - 1);
        }
    }
}
