using Inroad.Nat.Discovery;
using Microsoft.Extensions.Time.Testing;

namespace Inroad.Nat.Tests.Discovery;

public sealed class NatTypeRulesTests
{
    [Theory]
    [InlineData(NatMapping.EndpointIndependent, NatFiltering.EndpointIndependent, NatTraversal.Unlimited)]
    [InlineData(NatMapping.EndpointIndependent, NatFiltering.AddressDependent, NatTraversal.Unlimited)]
    [InlineData(NatMapping.EndpointIndependent, NatFiltering.Unknown, NatTraversal.Unlimited)]
    [InlineData(NatMapping.EndpointIndependent, NatFiltering.AddressPortDependent, NatTraversal.PartiallyLimited)]
    [InlineData(NatMapping.AddressDependent, NatFiltering.EndpointIndependent, NatTraversal.StrictlyLimited)]
    [InlineData(NatMapping.AddressPortDependent, NatFiltering.AddressPortDependent, NatTraversal.StrictlyLimited)]
    [InlineData(NatMapping.Unknown, NatFiltering.Unknown, NatTraversal.StrictlyLimited)]
    public void Traversal_class_follows_the_design_table(NatMapping m, NatFiltering f, NatTraversal expected)
    {
        Assert.Equal(expected, new NatType(m, f).Traversal);
    }

    [Fact]
    public void Packing_round_trips_every_value_and_refuses_others()
    {
        for (int packed = 0; packed < 16; packed++)
        {
            Assert.True(NatType.TryFromPacked(packed, out NatType t));
            Assert.Equal(packed, t.Packed);
        }

        Assert.Equal(7, new NatType(NatMapping.EndpointIndependent, NatFiltering.AddressPortDependent).Packed);
        Assert.Equal("EndpointIndependent/AddressPortDependent", new NatType(NatMapping.EndpointIndependent, NatFiltering.AddressPortDependent).ToString());
        Assert.False(NatType.TryFromPacked(16, out _));
        Assert.False(NatType.TryFromPacked(-1, out _));
    }

    [Theory]
    [InlineData(15, true, NetworkType.Mobile, 5)] // port mapping beats everything: EI/EI
    [InlineData(0, false, NetworkType.Mobile, 15)] // unknown on mobile: assumed CGNAT (APD/APD)
    [InlineData(0, false, NetworkType.WiFi, 0)] // unknown elsewhere stays unknown
    [InlineData(4, false, NetworkType.Mobile, 15)] // half unknown on mobile is unknown too
    [InlineData(7, false, NetworkType.Mobile, 7)] // a measured type is kept
    public void Effective_type_applies_port_mapping_and_mobile_rules(int reported, bool portMapping, NetworkType network, int expected)
    {
        Assert.True(NatType.TryFromPacked(reported, out NatType r));
        Assert.Equal(expected, NatTypeRules.Effective(r, portMapping, network).Packed);
    }

    [Fact]
    public async Task Cache_keeps_complete_results_per_network_until_they_expire()
    {
        var time = new FakeTimeProvider();
        var cache = new NatDiscoveryCache(TimeSpan.FromMinutes(30), time);
        int runs = 0;
        var complete = new NatDiscoveryResult { Supported = true, Type = new NatType(NatMapping.EndpointIndependent, NatFiltering.EndpointIndependent) };
        Task<NatDiscoveryResult> Discover(CancellationToken _)
        {
            runs++;
            return Task.FromResult(complete);
        }

        CancellationToken ct = TestContext.Current.CancellationToken;
        await cache.GetOrDiscoverAsync("wifi:home", Discover, ct);
        await cache.GetOrDiscoverAsync("wifi:home", Discover, ct);
        Assert.Equal(1, runs);
        await cache.GetOrDiscoverAsync("mobile:1", Discover, ct);
        Assert.Equal(2, runs);
        time.Advance(TimeSpan.FromMinutes(31));
        await cache.GetOrDiscoverAsync("wifi:home", Discover, ct);
        Assert.Equal(3, runs);

        complete = new NatDiscoveryResult { Supported = false };
        await cache.GetOrDiscoverAsync("cafe", Discover, ct);
        Assert.False(cache.TryGet("cafe", out _)); // incomplete results are not cached
        cache.Clear();
        Assert.False(cache.TryGet("mobile:1", out _));
    }
}
