using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Inroad.Client.Dial;
using Inroad.Client.Tunnel;
using Inroad.Demo;
using Inroad.Protocol;
using Inroad.Protocol.Messages;
using Inroad.Server.BrokerReports;
using Inroad.Testing.Logging;
using Inroad.Tests.Tunnel;

namespace Inroad.Tests.EndToEnd;

/// <summary>
/// The whole system in one process over real sockets: broker (Kestrel, HTTP/2), tunnel server (TCP), proxies and
/// clients (our WebRTC stack over loopback UDP), local SOCKS5 ports, and an echo target.
/// </summary>
public sealed class InproxyEndToEndTests
{
    private static CancellationToken Timeout(int seconds = 120)
    {
        var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(TimeSpan.FromSeconds(seconds));
        return cts.Token;
    }

    private static Task<DemoNetwork> StartNetworkAsync(CancellationToken ct, bool allowLoopbackTargets = true) =>
        DemoNetwork.StartAsync(new DemoNetworkOptions { AllowLoopbackTargets = allowLoopbackTargets, LoggerFactory = new TestOutputLoggerFactory() }, ct);

    private static async Task<NetworkStream> SocksConnectAsync(IPEndPoint proxy, IPEndPoint target, CancellationToken ct)
    {
        var client = new TcpClient { NoDelay = true };
        await client.ConnectAsync(proxy, ct);
        NetworkStream s = client.GetStream();
        byte[] address = target.Address.GetAddressBytes();
        byte[] request = [5, 1, 0, 5, 1, 0, 1, .. address, (byte)(target.Port >> 8), (byte)target.Port];
        await s.WriteAsync(request, ct);
        byte[] reply = new byte[2 + 10];
        await s.ReadExactlyAsync(reply, ct);
        Assert.Equal(new byte[] { 5, 0 }, reply.AsSpan(0, 2).ToArray());
        if (reply[3] != 0)
        {
            throw new SocksRefusedException(reply[3]);
        }

        return s;
    }

    private sealed class SocksRefusedException(byte code) : Exception($"SOCKS reply {code}")
    {
        public byte Code { get; } = code;
    }

    /// <summary>Pushes <paramref name="data"/> to the echo target through the client's SOCKS port and checks it comes back byte for byte.</summary>
    internal static async Task EchoAsync(DemoClient client, IPEndPoint echo, byte[] data, CancellationToken ct)
    {
        await using NetworkStream s = await SocksConnectAsync(client.Proxy.SocksEndPoint!, echo, ct);
        Task write = Task.Run(
            async () =>
            {
                await s.WriteAsync(data, ct);
                s.Socket.Shutdown(SocketShutdown.Send);
            },
            ct);
        byte[] back = new byte[data.Length];
        await s.ReadExactlyAsync(back, ct);
        await write;
        Assert.Equal(0, await s.ReadAtLeastAsync(new byte[1], 1, throwOnEndOfStream: false, ct));
        Assert.True(data.AsSpan().SequenceEqual(back), "echoed bytes differ");
    }

    internal static byte[] RandomBytes(int seed, int length)
    {
        byte[] data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }

    [Fact]
    public async Task Ten_clients_through_five_proxies_echo_1_MiB_each_and_every_report_verifies()
    {
        CancellationToken ct = Timeout(240);
        await using DemoNetwork network = await StartNetworkAsync(ct);
        var reports = new ConcurrentDictionary<Id32, VerifiedBrokerReport>();
        network.Server.TunnelAccepted += r => reports[r.Report.ConnectionId] = r;
        await using LoopbackService echo = LoopbackService.Echo();

        Id32[] personal = [.. Enumerable.Range(0, 5).Select(_ => Id32.NewRandom())];
        DemoProxy[] proxies = [.. personal.Select(p => network.StartProxy(p, maxCommonClients: 3, maxPersonalClients: 3))];
        DemoClient[] common = [.. Enumerable.Range(0, 5).Select(_ => network.StartClient())];
        DemoClient[] paired = [.. personal.Select(p => network.StartClient(p))];
        DemoClient[] all = [.. common, .. paired];

        await Task.WhenAll(all.Select((c, i) => EchoAsync(c, echo.EndPoint, RandomBytes(i, 1 << 20), ct)));

        Assert.True(network.Server.AcceptedTunnels >= all.Length, $"{network.Server.AcceptedTunnels} tunnels accepted");
        for (int i = 0; i < all.Length; i++)
        {
            Id32 connection = all[i].Keeper.CurrentConnectionId ?? throw new InvalidOperationException($"client {i} has no tunnel");
            Assert.True(reports.TryGetValue(connection, out VerifiedBrokerReport? report), $"client {i}'s tunnel has no verified report");
            bool isPersonal = i >= common.Length;
            Assert.Equal(isPersonal, report!.Report.MatchedPersonalCompartments);
            if (isPersonal)
            {
                Assert.Equal(proxies[i - common.Length].ProxyId, report.Report.ProxyId);
            }
            else
            {
                Assert.Contains(report.Report.ProxyId, proxies.Select(p => p.ProxyId));
            }
        }
    }

    [Fact]
    public async Task A_killed_proxy_makes_its_client_redial_and_later_transfers_succeed()
    {
        CancellationToken ct = Timeout();
        await using DemoNetwork network = await StartNetworkAsync(ct);
        var reports = new ConcurrentDictionary<Id32, VerifiedBrokerReport>();
        network.Server.TunnelAccepted += r => reports[r.Report.ConnectionId] = r;
        await using LoopbackService echo = LoopbackService.Echo();
        DemoProxy[] proxies = [network.StartProxy(), network.StartProxy()];
        DemoClient client = network.StartClient();
        await client.Keeper.WaitConnectedAsync(ct);
        Id32 first = (await ReportForAsync(reports, client, ct)).ProxyId;
        DemoProxy victim = proxies.Single(p => p.ProxyId == first);

        // Kill the proxy in the middle of a transfer: that transfer breaks, the client redials.
        await using (NetworkStream s = await SocksConnectAsync(client.Proxy.SocksEndPoint!, echo.EndPoint, ct))
        {
            byte[] chunk = RandomBytes(1, 64 * 1024);
            await s.WriteAsync(chunk, ct);
            await s.ReadExactlyAsync(new byte[chunk.Length], ct);
            await victim.DisposeAsync();

            // The broken path must be noticed well inside the consent timeout (30 s) even if every goodbye was lost.
            using var broken = CancellationTokenSource.CreateLinkedTokenSource(ct);
            broken.CancelAfter(TimeSpan.FromSeconds(60));
            Exception e = await Assert.ThrowsAnyAsync<Exception>(async () =>
            {
                for (int i = 0; i < 1000; i++)
                {
                    await s.WriteAsync(chunk, broken.Token);
                    _ = await s.ReadAtLeastAsync(new byte[chunk.Length], chunk.Length, throwOnEndOfStream: true, broken.Token);
                }
            });
            Assert.False(broken.IsCancellationRequested, $"the transfer through the killed proxy never failed ({e.GetType().Name})");
        }

        await WaitForAsync(() => client.Keeper.Status is { State: TunnelState.Connected, TunnelsEstablished: >= 2 }, ct);
        await EchoAsync(client, echo.EndPoint, RandomBytes(2, 1 << 20), ct);
        Id32 second = (await ReportForAsync(reports, client, ct)).ProxyId;
        Assert.NotEqual(first, second);
    }

    [Fact]
    public async Task An_offer_naming_a_destination_that_is_not_an_inproxy_listener_is_Limited_and_nothing_dials_it()
    {
        CancellationToken ct = Timeout();
        await using DemoNetwork network = await StartNetworkAsync(ct);
        network.StartProxy();
        using var decoy = new TcpListener(IPAddress.Loopback, 0);
        decoy.Start();
        Task<TcpClient> decoyAccept = decoy.AcceptTcpClientAsync(ct).AsTask();

        using var brokers = new Brokers.BrokerClient(new Brokers.BrokerClientOptions { Brokers = [network.BrokerSpec] });
        var dialer = new InproxyDialer(new InproxyDialerOptions { Brokers = brokers, WebRtc = network.WebRtcOptions(), CommonCompartmentIds = [network.CommonCompartment] });
        InproxyDialException e = await Assert.ThrowsAsync<InproxyDialException>(() =>
            dialer.DialAsync(new InproxyDestination(network.SignedServerEntry, decoy.LocalEndpoint.ToString()!), ct));
        Assert.Equal(InproxyDialFailure.Limited, e.Failure);
        await Task.Delay(500, ct);
        Assert.False(decoyAccept.IsCompleted, "something dialed the decoy destination");
    }

    [Fact]
    public async Task A_tunnel_stream_to_a_denied_address_is_refused_with_the_SOCKS_ruleset_code()
    {
        CancellationToken ct = Timeout();
        await using DemoNetwork network = await StartNetworkAsync(ct, allowLoopbackTargets: false);
        network.StartProxy();
        DemoClient client = network.StartClient();
        await using LoopbackService echo = LoopbackService.Echo();
        await client.Keeper.WaitConnectedAsync(ct);
        SocksRefusedException e = await Assert.ThrowsAsync<SocksRefusedException>(() => SocksConnectAsync(client.Proxy.SocksEndPoint!, echo.EndPoint, ct));
        Assert.Equal(2, e.Code); // connection not allowed by ruleset
    }

    // The server raises its event once the report verified; the client may see its tunnel up a moment earlier.
    internal static async Task<BrokerServerReport> ReportForAsync(ConcurrentDictionary<Id32, VerifiedBrokerReport> reports, DemoClient client, CancellationToken ct)
    {
        VerifiedBrokerReport? report = null;
        await WaitForAsync(() => client.Keeper.CurrentConnectionId is { } id && reports.TryGetValue(id, out report), ct);
        return report!.Report;
    }

    internal static async Task WaitForAsync(Func<bool> condition, CancellationToken ct)
    {
        while (!condition())
        {
            await Task.Delay(50, ct);
        }
    }
}
