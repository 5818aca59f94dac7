using System.Net;
using System.Net.Sockets;
using Inroad.Nat.Discovery;
using Inroad.Testing;
using Inroad.Testing.NetLab;

namespace Inroad.Nat.Tests.Lab;

/// <summary>RFC 5780 discovery from the client behind natA against coturn, for every NAT behaviour, checked against coturn's own client.</summary>
public sealed class NatDiscoveryLabTests
{
    [Fact]
    public async Task Discovery_reports_each_lab_nat_behaviour_and_agrees_with_turnutils()
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        Prerequisites.RequireCommand("turnutils_natdiscovery", "coturn");
        await using NetLab lab = await NetLab.CreateAsync(new NetLabTopology(), cts.Token);
        cts.CancelAfter(TimeSpan.FromSeconds(110)); // after CreateAsync: its wait for the machine-wide lab lock has its own bound
        var expected = new (NatBehavior Mode, NatMapping Mapping, NatFiltering Filtering, string TurnMapping, string TurnFiltering)[]
        {
            (NatBehavior.FullCone, NatMapping.EndpointIndependent, NatFiltering.EndpointIndependent, "Endpoint Independent Mapping", "Endpoint Independent Filtering"),
            (NatBehavior.Restricted, NatMapping.EndpointIndependent, NatFiltering.AddressDependent, "Endpoint Independent Mapping", "Address Dependent Filtering"),
            (NatBehavior.PortRestricted, NatMapping.EndpointIndependent, NatFiltering.AddressPortDependent, "Endpoint Independent Mapping", "Address and Port Dependent Filtering"),
            (NatBehavior.Symmetric, NatMapping.AddressPortDependent, NatFiltering.AddressPortDependent, "Address and Port Dependent Mapping", "Address and Port Dependent Filtering"),
        };
        foreach (var e in expected)
        {
            await lab.SetNatAsync(NetLabHosts.NatA, e.Mode, cts.Token);
            var sw = System.Diagnostics.Stopwatch.StartNew();
            NatDiscoveryResult r = await NatDiscovery.DiscoverAsync(
                new NatDiscoveryOptions
                {
                    Server = NetLabHosts.StunEndPoint,
                    // The default 2 s (sends at 0, 250, 750, 1750 ms), not less: lab RTTs are sub-millisecond, but an answer
                    // to a change request that comes late (coturn or this process starved on a loaded machine) reads exactly
                    // like a NAT filtering it, and a full cone would be reported as restricted.
                    RoundTripTimeout = TimeSpan.FromSeconds(2),
                    SocketFactory = (f, t, p) => lab.RunIn(NetLabHosts.Client, () => new Socket(f, t, p)),
                },
                cts.Token);
            Assert.True(r.Supported, r.Error);
            TestContext.Current.TestOutputHelper?.WriteLine($"{e.Mode}: {r.Type} in {sw.ElapsedMilliseconds} ms, {r.RoundTripTimes.Count} answered round trips");
            Assert.Equal(new NatType(e.Mapping, e.Filtering), r.Type);
            Assert.Equal(NetLabHosts.NatAWan, r.MappedEndPoint!.Address);
            Assert.Equal(new IPEndPoint(NetLabHosts.StunSecondary, 3479), r.OtherAddress);

            await lab.FlushConntrackAsync(NetLabHosts.NatA, cts.Token);
            ProcessResult turn = await lab.ExecAsync(
                NetLabHosts.Client, ["turnutils_natdiscovery", "-m", "-f", NetLabHosts.StunPrimary.ToString()], TimeSpan.FromSeconds(20), cts.Token);
            Assert.Contains("NAT with " + e.TurnMapping, turn.StandardOutput, StringComparison.Ordinal);
            Assert.Contains("NAT with " + e.TurnFiltering, turn.StandardOutput, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Proxy_behind_symmetric_nat_with_port_mapping_counts_as_unlimited()
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        await using NetLab lab = await NetLab.CreateAsync(new NetLabTopology { NatB = NatBehavior.Symmetric, UpnpRouters = [NetLabHosts.NatB] }, cts.Token);
        cts.CancelAfter(TimeSpan.FromSeconds(60)); // after CreateAsync: its wait for the machine-wide lab lock has its own bound
        NatDiscoveryResult r = await NatDiscovery.DiscoverAsync(
            new NatDiscoveryOptions { Server = NetLabHosts.StunEndPoint, SocketFactory = (f, t, p) => lab.RunIn(NetLabHosts.Proxy, () => new Socket(f, t, p)) },
            cts.Token);
        var mapper = new Inroad.Nat.PortMapping.PortMapper(new() { Gateway = NetLabHosts.NatBLan, SocketFactory = (f, t, p) => lab.RunIn(NetLabHosts.Proxy, () => new Socket(f, t, p)) });
        var probe = await mapper.ProbeAsync(cts.Token);
        Assert.Equal(NatTraversal.StrictlyLimited, r.Type.Traversal);
        Assert.Equal(NatTraversal.Unlimited, NatTypeRules.EffectiveTraversal(r.Type, probe.Any, NetworkType.Wired));
    }
}
