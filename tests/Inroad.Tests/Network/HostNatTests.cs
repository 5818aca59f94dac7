using System.Net;
using Inroad.Nat.Discovery;
using Inroad.Nat.PortMapping;
using Inroad.Network;
using Inroad.Testing;
using Microsoft.Extensions.Time.Testing;
using NatBehavior = Inroad.Protocol.NatBehavior;

namespace Inroad.Tests.Network;

/// <summary>The host's NAT state with an in-memory gateway and discovery: caching, fallbacks, bounds, network changes.</summary>
public sealed class HostNatTests
{
    private static CancellationToken Timeout()
    {
        var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(TimeSpan.FromSeconds(20));
        return cts.Token;
    }

    private static HostNat Create(FakePortMapper mapper, TimeProvider? time = null, Func<CancellationToken, Task<NatDiscoveryResult>>? discover = null, PortMappingSettings? settings = null) =>
        new(new HostNatOptions
        {
            PortMapping = settings ?? new PortMappingSettings(),
            Mapper = mapper,
            Discover = discover,
            Discovery = new NatDiscoverySettings { Enabled = discover is not null },
            TimeProvider = time ?? TimeProvider.System,
            WatchNetworkChanges = false,
        });

    [Fact]
    public async Task The_probe_is_made_once_and_believed_for_its_lifetime()
    {
        CancellationToken ct = Timeout();
        var time = new FakeTimeProvider();
        var mapper = new FakePortMapper { Protocols = [PortMappingProtocol.Pcp, PortMappingProtocol.UpnpIgd] };
        await using HostNat nat = Create(mapper, time);

        await using MappedUdpPort? first = await nat.TryMapUdpPortAsync(waitForProbe: true, ct);
        await using MappedUdpPort? second = await nat.TryMapUdpPortAsync(waitForProbe: true, ct);
        Assert.NotNull(first);
        Assert.NotNull(second);
        Assert.Equal(1, mapper.Probes);
        Assert.Equal([3, 1], nat.PortMappingTypes);
        Assert.Equal(PortMappingProtocol.Pcp, first.Protocol);
        Assert.Equal(new IPEndPoint(mapper.ExternalAddress, first.LocalPort), first.ExternalEndPoint);
        Assert.NotEqual(first.LocalPort, second.LocalPort); // one port per connection

        time.Advance(new PortMappingSettings().ProbeLifetime + TimeSpan.FromSeconds(1));
        await using MappedUdpPort? third = await nat.TryMapUdpPortAsync(waitForProbe: true, ct);
        Assert.Equal(2, mapper.Probes);
    }

    [Fact]
    public async Task A_refused_protocol_falls_through_to_the_next_and_a_total_failure_re_probes_next_time()
    {
        CancellationToken ct = Timeout();
        var mapper = new FakePortMapper { Protocols = [PortMappingProtocol.Pcp, PortMappingProtocol.NatPmp] };
        mapper.Refuse.Add(PortMappingProtocol.Pcp);
        await using HostNat nat = Create(mapper);

        await using (MappedUdpPort? mapped = await nat.TryMapUdpPortAsync(waitForProbe: true, ct))
        {
            Assert.Equal(PortMappingProtocol.NatPmp, mapped!.Protocol);
            Assert.Equal(1, mapper.Live);
        }

        Assert.Equal(0, mapper.Live); // disposing the port deletes the mapping
        mapper.Refuse.Add(PortMappingProtocol.NatPmp);
        Assert.Null(await nat.TryMapUdpPortAsync(waitForProbe: true, ct));
        Assert.Equal(1, mapper.Probes);
        Assert.Null(await nat.TryMapUdpPortAsync(waitForProbe: true, ct)); // the failed promise is not trusted: probed again
        Assert.Equal(2, mapper.Probes);
    }

    [Fact]
    public async Task A_silent_gateway_costs_at_most_the_map_timeout_and_gives_no_mapping()
    {
        CancellationToken ct = Timeout();
        var mapper = new FakePortMapper { Silent = true };
        await using HostNat nat = Create(mapper, settings: new PortMappingSettings { MapTimeout = TimeSpan.FromMilliseconds(200) });
        Task<MappedUdpPort?> map = nat.TryMapUdpPortAsync(waitForProbe: true, ct);
        Assert.Null(await map.WaitAsync(TimeSpan.FromSeconds(10), ct));
        Assert.Single(mapper.Requests);
    }

    [Fact]
    public async Task A_dial_does_not_wait_for_a_running_probe_but_an_announcement_does()
    {
        CancellationToken ct = Timeout();
        var mapper = new FakePortMapper { ProbeGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously) };
        await using HostNat nat = Create(mapper);
        nat.Start();
        Assert.Null(await nat.TryMapUdpPortAsync(waitForProbe: false, ct)); // at once: no mapping this time
        Task waiting = nat.WaitForFirstProbeAsync(ct);
        Assert.False(waiting.IsCompleted);
        mapper.ProbeGate.SetResult();
        await waiting;
        Assert.Equal([3], nat.PortMappingTypes);
        await using MappedUdpPort? mapped = await nat.TryMapUdpPortAsync(waitForProbe: false, ct);
        Assert.NotNull(mapped); // the next dial has it
        Assert.Equal(1, mapper.Probes);
    }

    [Fact]
    public async Task No_protocol_or_mapping_disabled_asks_nothing()
    {
        CancellationToken ct = Timeout();
        var none = new FakePortMapper { Protocols = [] };
        await using (HostNat nat = Create(none))
        {
            Assert.Null(await nat.TryMapUdpPortAsync(waitForProbe: true, ct));
            Assert.Empty(none.Requests);
            Assert.Empty(nat.PortMappingTypes);
        }

        var mapper = new FakePortMapper();
        await using HostNat off = Create(mapper, settings: new PortMappingSettings { Enabled = false });
        off.Start();
        Assert.False(off.PortMappingEnabled);
        Assert.Null(await off.TryMapUdpPortAsync(waitForProbe: true, ct));
        Assert.Equal(0, mapper.Probes);
    }

    [Fact]
    public async Task Discovery_runs_in_the_background_and_the_type_is_unknown_until_it_ends()
    {
        CancellationToken ct = Timeout();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        int runs = 0;
        async Task<NatDiscoveryResult> Discover(CancellationToken c)
        {
            Interlocked.Increment(ref runs);
            await gate.Task.WaitAsync(c);
            return new NatDiscoveryResult { Supported = true, Type = new NatType(NatMapping.AddressPortDependent, NatFiltering.AddressPortDependent) };
        }

        var mapper = new FakePortMapper();
        await using HostNat nat = Create(mapper, discover: Discover);
        nat.Start(); // returns at once although discovery is blocked
        Assert.Equal(Inroad.Protocol.NatType.Unknown, nat.NatType);
        gate.SetResult();
        await nat.DiscoveryCompletion.WaitAsync(ct);
        Assert.Equal(new Inroad.Protocol.NatType(NatBehavior.AddressPortDependent, NatBehavior.AddressPortDependent), nat.NatType);
        await Eventually.UntilAsync(() => nat.PortMappingTypes.Count == 1, ct); // the background probe also ran
        Assert.Equal(1, runs);

        // A network change forgets both and finds them again.
        nat.OnNetworkChanged();
        await nat.DiscoveryCompletion.WaitAsync(ct);
        Assert.Equal(2, runs);
        Assert.Equal(NatBehavior.AddressPortDependent, nat.NatType.Mapping);
        await Eventually.UntilAsync(() => mapper.Probes == 2, ct);
    }

    [Fact]
    public async Task An_incomplete_discovery_leaves_the_type_unknown()
    {
        CancellationToken ct = Timeout();
        await using HostNat nat = Create(new FakePortMapper(), discover: _ => Task.FromResult(new NatDiscoveryResult { Supported = false, Error = "no OTHER-ADDRESS" }));
        nat.Start();
        await nat.DiscoveryCompletion.WaitAsync(ct);
        Assert.Equal(Inroad.Protocol.NatType.Unknown, nat.NatType);
    }

    [Theory]
    [InlineData("stun.example.org:3478", true, "stun.example.org", 3478)]
    [InlineData("203.0.113.10:3478", true, "203.0.113.10", 3478)]
    [InlineData("[2001:db8::1]:19302", true, "2001:db8::1", 19302)]
    [InlineData("stun.example.org", false, "", 0)]
    [InlineData(":3478", false, "", 0)]
    [InlineData("host:0", false, "", 0)]
    [InlineData("host:70000", false, "", 0)]
    [InlineData("", false, "", 0)]
    public void Host_and_port_are_split(string value, bool ok, string host, int port)
    {
        Assert.Equal(ok, HostNat.TrySplitHostPort(value, out string h, out int p));
        if (ok)
        {
            Assert.Equal(host, h);
            Assert.Equal(port, p);
        }
    }

    [Fact]
    public void Bad_settings_are_named()
    {
        Assert.Equal("MapTimeout", Assert.Throws<ArgumentOutOfRangeException>(() => new PortMappingSettings { MapTimeout = TimeSpan.Zero }.Validate()).ParamName);
        Assert.Equal("Gateway", Assert.Throws<ArgumentOutOfRangeException>(() => new PortMappingSettings { Gateway = IPAddress.IPv6Loopback }.Validate()).ParamName);
        Assert.Equal("StunServers", Assert.Throws<ArgumentException>(() => new NatDiscoverySettings { StunServers = ["nope"] }.Validate()).ParamName);
    }
}
