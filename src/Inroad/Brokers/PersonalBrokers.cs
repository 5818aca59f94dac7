using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Inroad.Protocol;

namespace Inroad.Brokers;

/// <summary>
/// Personal-mode broker choice (design §8.5, "rendezvous"): a personal proxy and its clients must meet at the same
/// broker without talking to each other first, so both derive the same short broker order from the compartment ID
/// alone. Psiphon permutes the broker list with a PRNG seeded by the ID; we rank brokers by a keyed hash of
/// (compartment ID, broker public key) instead — highest-random-weight hashing — which gives the same order whatever
/// order each side's list is in, and moves only the pairs that involve an added or removed broker.
/// </summary>
internal static class PersonalBrokers
{
    /// <summary>Brokers kept for a personal compartment (tactic <c>InproxyPersonalPairingMaxBrokerSpecCount</c>).</summary>
    public const int MaxBrokers = 3;

    private static readonly byte[] Context = Encoding.ASCII.GetBytes("inroad-personal-broker-v1");

    /// <summary>
    /// The brokers a personal compartment uses, best first: ranked by HMAC-SHA256(compartment ID, context ‖ broker
    /// Ed25519 key), at most <paramref name="max"/>. Both proxy and client walk this order (they rotate on failure).
    /// </summary>
    public static IReadOnlyList<BrokerSpec> Order(IReadOnlyList<BrokerSpec> brokers, Id32 compartmentId, int max = MaxBrokers)
    {
        ArgumentNullException.ThrowIfNull(brokers);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(max);
        byte[] key = compartmentId.ToArray();
        Span<byte> input = stackalloc byte[Context.Length + 32];
        Span<byte> mac = stackalloc byte[32];
        var ranked = new List<(ulong Score, byte[] Tie, BrokerSpec Broker)>(brokers.Count);
        foreach (BrokerSpec broker in brokers)
        {
            Context.CopyTo(input);
            broker.Identity.PublicKey.Ed25519.CopyTo(input[Context.Length..]);
            HMACSHA256.HashData(key, input, mac);
            ranked.Add((BinaryPrimitives.ReadUInt64BigEndian(mac), mac.ToArray(), broker));
        }

        // Distinct keys give distinct scores but for a 2^-64 chance; the full MAC, then the endpoint, break ties stably.
        ranked.Sort(static (a, b) =>
        {
            int c = b.Score.CompareTo(a.Score);
            if (c == 0)
            {
                c = b.Tie.AsSpan().SequenceCompareTo(a.Tie);
            }

            return c != 0 ? c : string.CompareOrdinal(a.Broker.Endpoint.AbsoluteUri, b.Broker.Endpoint.AbsoluteUri);
        });
        return ranked.Take(max).Select(r => r.Broker).ToArray();
    }
}
