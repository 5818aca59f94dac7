using System.Net;
using Inroad.Nat.PortMapping;
using Inroad.Network;
using Inroad.Proxy;
using Inroad.Testing;
using Inroad.Tests.Broker;
using Inroad.Tests.Network;

namespace Inroad.Tests.Proxy;

/// <summary>The proxy's per-client port mapping against an in-memory gateway (the namespace lab test runs the real one).</summary>
public sealed class ProxyPortMappingTests
{
    private static CancellationToken Timeout() => BrokerServiceTests.Timeout(60);

    private static HostNat Nat(FakePortMapper mapper, TimeSpan? mapTimeout = null) => new(new HostNatOptions
    {
        Mapper = mapper,
        PortMapping = new PortMappingSettings { MapTimeout = mapTimeout ?? TimeSpan.FromSeconds(2) },
        Discovery = new NatDiscoverySettings { Enabled = false },
        WatchNetworkChanges = false,
    });

    private static async Task RoundTripAsync(Stream stream, CancellationToken ct)
    {
        byte[] data = new byte[64 * 1024];
        new Random(21).NextBytes(data);
        Task write = stream.WriteAsync(data, ct).AsTask();
        byte[] back = new byte[data.Length];
        await stream.ReadExactlyAsync(back, ct);
        await write;
        Assert.Equal(data, back);
    }


    [Fact]
    public async Task Each_client_gets_a_mapped_host_candidate_for_its_life_and_announcements_report_the_protocols()
    {
        CancellationToken ct = Timeout();
        await using ProxyHarness harness = await ProxyHarness.StartAsync(ct);
        var mapper = new FakePortMapper { Protocols = [PortMappingProtocol.Pcp, PortMappingProtocol.NatPmp] };
        await using HostNat nat = Nat(mapper);
        (InproxyProxy proxy, _) = harness.StartProxy(harness.ProxyOptions(o => o.Nat = nat));
        await Eventually.UntilAsync(() => nat.PortMappingTypes.Count == 2, ct);
        Assert.Equal([3, 2], proxy.NewAnnouncement(precheck: false).Metrics!.PortMappingTypes);

        await using (TestClient client = await harness.DialAsync(ct))
        {
            Assert.NotNull(client.Stream);
            (int port, PortMappingProtocol protocol) = Assert.Single(mapper.Requests);
            Assert.Equal(PortMappingProtocol.Pcp, protocol);
            Assert.Equal(1, mapper.Live);

            // The answer advertises the mapping as a host candidate, and the peer connection is bound to the mapped port.
            Assert.Contains($" 127.0.0.2 {port} typ host", client.Response.ProxyAnswerSdp, StringComparison.Ordinal);
            Assert.Contains($" 127.0.0.1 {port} typ host", client.Response.ProxyAnswerSdp, StringComparison.Ordinal);
            await RoundTripAsync(client.Stream, ct);
        }

        // The lease ends with the client.
        await Eventually.UntilAsync(() => proxy.Snapshot().Connected == 0 && mapper.Live == 0, ct);
        Assert.Equal(1, mapper.Probes); // probed once at start, not per client
    }

    [Fact]
    public async Task A_port_taken_between_choice_and_bind_answers_without_the_mapping()
    {
        CancellationToken ct = Timeout();
        await using ProxyHarness harness = await ProxyHarness.StartAsync(ct);
        var mapper = new FakePortMapper { OccupyPort = true };
        await using HostNat nat = Nat(mapper);
        (InproxyProxy proxy, _) = harness.StartProxy(harness.ProxyOptions(o => o.Nat = nat));
        try
        {
            await using TestClient client = await harness.DialAsync(ct);
            Assert.NotNull(client.Stream);
            Assert.DoesNotContain("127.0.0.2", client.Response.ProxyAnswerSdp, StringComparison.Ordinal);
            Assert.Equal(0, mapper.Live); // the useless lease was given back at once
            await RoundTripAsync(client.Stream, ct);
            Assert.Equal(0, proxy.Snapshot().Counters.AnswerErrors);
        }
        finally
        {
            mapper.Occupiers.ForEach(s => s.Dispose());
        }
    }

    [Fact]
    public async Task A_silent_gateway_delays_the_answer_by_the_map_timeout_only()
    {
        CancellationToken ct = Timeout();
        await using ProxyHarness harness = await ProxyHarness.StartAsync(ct);
        var mapper = new FakePortMapper { Silent = true };
        await using HostNat nat = Nat(mapper, TimeSpan.FromMilliseconds(300));
        (InproxyProxy proxy, _) = harness.StartProxy(harness.ProxyOptions(o => o.Nat = nat));
        await using TestClient client = await harness.DialAsync(ct);
        Assert.NotNull(client.Stream);
        Assert.Single(mapper.Requests);
        await RoundTripAsync(client.Stream, ct);
        Assert.Equal(0, proxy.Snapshot().Counters.AnswerErrors);
    }
}
