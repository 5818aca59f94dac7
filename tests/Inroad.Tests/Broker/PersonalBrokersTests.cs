using Inroad.Brokers;
using Inroad.Sessions;
using Inroad.Sessions.Keys;
using Inroad.Sessions.Obfuscation;
using Id32 = Inroad.Protocol.Id32;

namespace Inroad.Tests.Broker;

/// <summary>The personal-mode rendezvous order (design §8.5): proxy and client derive the same brokers from the compartment ID.</summary>
public sealed class PersonalBrokersTests
{
    private static BrokerSpec[] Brokers(int n) => Enumerable.Range(0, n).Select(i =>
    {
        using SessionPrivateKey key = SessionPrivateKey.Generate();
        return new BrokerSpec(new Uri($"https://broker{i}.example/inroad-broker"), new ResponderIdentity(key.PublicKey, ObfuscationSecret.Generate()));
    }).ToArray();

    private static Id32 Compartment(Random random)
    {
        byte[] id = new byte[32];
        random.NextBytes(id);
        return Id32.From(id);
    }

    [Fact]
    public void Both_sides_get_the_same_three_brokers_whatever_order_their_lists_are_in()
    {
        BrokerSpec[] brokers = Brokers(7);
        var random = new Random(5);
        for (int i = 0; i < 50; i++)
        {
            Id32 compartment = Compartment(random);
            IReadOnlyList<BrokerSpec> proxySide = PersonalBrokers.Order(brokers, compartment);
            IReadOnlyList<BrokerSpec> clientSide = PersonalBrokers.Order([.. brokers.OrderBy(_ => random.Next())], compartment);
            Assert.Equal(3, proxySide.Count);
            Assert.Equal(3, proxySide.Distinct().Count());
            Assert.Equal(proxySide, clientSide);
        }

        Assert.Equal(2, PersonalBrokers.Order(brokers.Take(2).ToArray(), Compartment(random)).Count); // fewer than three: all of them
    }

    [Fact]
    public void Compartments_spread_over_the_brokers_and_a_removed_broker_moves_only_its_own_compartments()
    {
        BrokerSpec[] brokers = Brokers(5);
        var random = new Random(11);
        Id32[] compartments = Enumerable.Range(0, 500).Select(_ => Compartment(random)).ToArray();
        var firsts = compartments.GroupBy(c => PersonalBrokers.Order(brokers, c)[0]).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(5, firsts.Count);
        Assert.All(firsts.Values, n => Assert.InRange(n, 50, 150)); // 100 expected each

        BrokerSpec removed = brokers[2];
        BrokerSpec[] fewer = [.. brokers.Where(b => b != removed)];
        foreach (Id32 c in compartments)
        {
            BrokerSpec before = PersonalBrokers.Order(brokers, c)[0];
            BrokerSpec after = PersonalBrokers.Order(fewer, c)[0];
            if (before != removed)
            {
                Assert.Same(before, after);
            }
            else
            {
                Assert.Same(PersonalBrokers.Order(brokers, c)[1], after); // its next choice
            }
        }
    }
}
