using System.Net;
using Inroad.Broker.Matching;

namespace Inroad.Tests.Broker;

public sealed class IpStateTableTests
{
    // IPv4 keys, IPv6 /56 keys, and ::/56 (the one key whose bits look like an empty slot).
    private static RateLimitKey Key(Random random)
    {
        int kind = random.Next(10);
        if (kind == 0)
        {
            return RateLimitKey.From(IPAddress.IPv6Any);
        }

        byte[] bytes = new byte[kind < 6 ? 4 : 16];
        random.NextBytes(bytes);
        if (bytes.Length == 4)
        {
            bytes[0] = (byte)(bytes[0] % 8); // a small space, so keys repeat and clusters form
        }

        return RateLimitKey.From(new IPAddress(bytes));
    }

    [Fact]
    public void Adds_finds_and_removes_exactly_like_a_dictionary_through_growth_and_shrinking()
    {
        var random = new Random(7);
        var table = new IpStateTable();
        var model = new Dictionary<RateLimitKey, ushort>();
        for (int round = 0; round < 6; round++)
        {
            // Grow: many adds and counter changes.
            for (int i = 0; i < 40_000; i++)
            {
                RateLimitKey key = Key(random);
                ref IpStateTable.Entry e = ref table.FindOrAdd(key, out bool added);
                Assert.Equal(!model.ContainsKey(key), added);
                e.Announcements++;
                model[key] = e.Announcements;
            }

            Assert.Equal(model.Count, table.Count);

            // Shrink: remove a pseudo-random half (those with an odd count), then check every key either way.
            int removed = table.RemoveWhere(static (_, e) => (e.Announcements & 1) == 1, 0);
            Assert.Equal(model.Count(p => (p.Value & 1) == 1), removed);
            foreach ((RateLimitKey key, ushort count) in model.ToArray())
            {
                ref IpStateTable.Entry e = ref table.Find(key);
                if ((count & 1) == 1)
                {
                    Assert.True(System.Runtime.CompilerServices.Unsafe.IsNullRef(ref e));
                    model.Remove(key);
                }
                else
                {
                    Assert.Equal(count, e.Announcements);
                }
            }

            Assert.Equal(model.Count, table.Count);
        }

        // Everything goes: the table shrinks back and still works.
        Assert.Equal(model.Count, table.RemoveWhere(static (_, _) => true, 0));
        Assert.Equal(0, table.Count);
        ref IpStateTable.Entry again = ref table.FindOrAdd(RateLimitKey.From(IPAddress.IPv6Any), out bool addedAgain);
        Assert.True(addedAgain);
        Assert.Equal(0, again.Announcements);
    }

    [Fact]
    public void The_unspecified_v6_prefix_is_a_key_like_any_other()
    {
        var table = new IpStateTable();
        RateLimitKey zero = RateLimitKey.From(IPAddress.IPv6Any);
        Assert.True(System.Runtime.CompilerServices.Unsafe.IsNullRef(ref table.Find(zero)));
        table.FindOrAdd(zero, out bool added).Offers = 3;
        Assert.True(added);
        Assert.Equal(3, table.Find(zero).Offers);
        Assert.Equal(1, table.Count);
    }
}
