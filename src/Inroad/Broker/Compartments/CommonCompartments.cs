using System.IO.Hashing;
using Inroad.Protocol;

namespace Inroad.Broker.Compartments;

/// <summary>
/// Assigns each proxy without a personal ID to one common compartment: a sponsor override if its sponsor
/// has one, else rendezvous (highest-random-weight) hashing of the proxy ID over the non-sponsor IDs.
/// Rendezvous hashing is consistent: adding or withdrawing one ID moves only the proxies that hashed to
/// it, so most proxies keep their compartment (and the clients that know it) across config changes.
/// </summary>
internal sealed class CommonCompartments
{
    private readonly Id32[] _hashed;
    private readonly Dictionary<string, Id32> _sponsors;
    private readonly HashSet<Id32> _all;

    /// <summary>Creates the assignment from the broker's configured IDs and sponsor overrides.</summary>
    public CommonCompartments(IReadOnlyList<Id32> all, IReadOnlyDictionary<string, Id32>? sponsorOverrides = null)
    {
        ArgumentNullException.ThrowIfNull(all);
        _all = [.. all];
        _sponsors = sponsorOverrides is null ? [] : new Dictionary<string, Id32>(sponsorOverrides, StringComparer.Ordinal);
        foreach (Id32 id in _sponsors.Values)
        {
            _ = _all.Add(id);
        }

        var sponsorIds = new HashSet<Id32>(_sponsors.Values);
        _hashed = all.Where(id => !sponsorIds.Contains(id)).Distinct().ToArray();
    }

    /// <summary>True when <paramref name="id"/> is one of the broker's common compartment IDs.</summary>
    public bool Contains(Id32 id) => _all.Contains(id);

    /// <summary>The compartment for a proxy, or false when none is configured.</summary>
    public bool TryAssign(Id32 proxyId, string? sponsorId, out Id32 compartment)
    {
        if (sponsorId is not null && _sponsors.TryGetValue(sponsorId, out compartment))
        {
            return true;
        }

        compartment = default;
        if (_hashed.Length == 0)
        {
            return false;
        }

        Span<byte> input = stackalloc byte[2 * Id32.Length];
        proxyId.CopyTo(input);
        ulong best = 0;
        bool found = false;
        foreach (Id32 id in _hashed)
        {
            id.CopyTo(input[Id32.Length..]);
            ulong weight = XxHash64.HashToUInt64(input);
            if (!found || weight > best)
            {
                best = weight;
                compartment = id;
                found = true;
            }
        }

        return true;
    }
}
