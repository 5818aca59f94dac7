using System.Collections.Concurrent;
using Inroad.Broker.Quality;
using Inroad.Demo;
using Inroad.Protocol;
using Inroad.Protocol.Messages;
using Inroad.Server;
using Inroad.Server.BrokerReports;
using Inroad.Server.Quality;
using Inroad.Testing.Logging;
using Inroad.Tests.Tunnel;
using static Inroad.Tests.EndToEnd.InproxyEndToEndTests;

namespace Inroad.Tests.EndToEnd;

/// <summary>
/// Proxy quality over the whole system (design §4.5): the tunnel server counts a tunnel that met its target, reports
/// the proxy to the broker over real HTTP/2 and a Noise session under the server's own key, and the broker then
/// prioritises that proxy's next announcements — visible in the next tunnel's verified broker report.
/// </summary>
public sealed class ProxyQualityEndToEndTests
{
    private static long BrokerNowMs => (long)(TimeProvider.System.GetTimestamp() * 1000.0 / TimeProvider.System.TimestampFrequency);

    [Fact]
    public async Task A_tunnel_that_met_its_target_is_reported_when_it_ends_and_its_proxy_then_announces_with_priority()
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(TimeSpan.FromSeconds(120));
        CancellationToken ct = cts.Token;
        TimeSpan announceTimeout = TimeSpan.FromSeconds(2);
        await using DemoNetwork network = await DemoNetwork.StartAsync(
            new DemoNetworkOptions
            {
                LoggerFactory = new TestOutputLoggerFactory(),
                ProxyAnnounceTimeout = announceTimeout,
                ProxyQuality = new ProxyQualityReporterOptions
                {
                    TargetDownstreamBytes = 64 * 1024,
                    CheckInterval = TimeSpan.FromHours(1), // so the only checks are at the handshake and at the end
                    RequestDelay = TimeSpan.FromMilliseconds(200),
                },
            },
            ct);
        var reports = new ConcurrentDictionary<Id32, VerifiedBrokerReport>();
        var ended = new ConcurrentDictionary<string, ServerTunnelRecord>();
        network.Server.TunnelAccepted += r => reports[r.Report.ConnectionId] = r;
        network.Server.TunnelEnded += r => ended[r.ConnectionId] = r;
        await using LoopbackService echo = LoopbackService.Echo();
        DemoProxy proxy = network.StartProxy(maxCommonClients: 2, maxPersonalClients: 0);
        var key = new ProxyQualityKey(proxy.ProxyId, 0); // loopback: no GeoIP, unknown ASN on both sides
        ProxyQualityReporter reporter = network.ProxyQuality!;

        // First tunnel: past the downstream target, but counted only when it ends.
        DemoClient first = network.StartClient();
        await first.Keeper.WaitConnectedAsync(ct);
        BrokerServerReport firstReport = await ReportForAsync(reports, first, ct);
        Assert.Equal(proxy.ProxyId, firstReport.ProxyId);
        Assert.False(firstReport.ProxyIsPriority);
        Id32 firstConnection = first.Keeper.CurrentConnectionId!.Value;
        await EchoAsync(first, echo.EndPoint, RandomBytes(1, 256 * 1024), ct);
        Assert.Equal(0, reporter.Qualified);
        Assert.False(network.Broker.Quality.HasQuality(key, BrokerNowMs));

        await first.DisposeAsync();
        await WaitForAsync(() => ended.ContainsKey(firstConnection.ToHex()), ct);
        Assert.True(ended[firstConnection.ToHex()].BytesDown >= 256 * 1024);
        Assert.True(ended[firstConnection.ToHex()].ProxyQuality);
        await WaitForAsync(() => reporter.RequestsSent == 1, ct);
        Assert.Equal(1, reporter.Qualified);
        Assert.Equal(0, reporter.RequestFailures);
        Assert.True(network.Broker.Quality.HasQuality(key, clientAsn: 0u, BrokerNowMs));

        // Every announcement queued before the report has expired after one announce timeout; the proxy's next ones
        // are priority, and the broker says so in the next tunnel's report.
        await Task.Delay(announceTimeout + TimeSpan.FromSeconds(1), ct);
        DemoClient second = network.StartClient();
        await second.Keeper.WaitConnectedAsync(ct);
        BrokerServerReport secondReport = await ReportForAsync(reports, second, ct);
        Assert.Equal(proxy.ProxyId, secondReport.ProxyId);
        Assert.True(secondReport.ProxyIsPriority);
    }
}
