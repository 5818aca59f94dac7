using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Inroad.Nat.PortMapping;

namespace Inroad.Nat.Tests.PortMapping;

/// <summary>A fake gateway on a loopback address answers with junk before (or instead of) a real answer.</summary>
public sealed class SpoofedReplyTests
{
    [Fact]
    public async Task NatPmp_ignores_junk_and_takes_the_real_answer()
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(TimeSpan.FromSeconds(20));
        IPAddress gw = IPAddress.Parse("127.77.0.1");
        using var server = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        server.Bind(new IPEndPoint(gw, 5351));
        Task fake = Task.Run(
            async () =>
            {
                byte[] buf = new byte[64];
                for (int i = 0; i < 2; i++)
                {
                    SocketReceiveFromResult r = await server.ReceiveFromAsync(buf, new IPEndPoint(IPAddress.Any, 0), cts.Token);
                    bool map = buf[1] == 1;
                    foreach (string junk in new[] { "00", "0180000000000001cb007101", map ? "0081000000000001" : "0088000000000001cb007101", map ? "008100000000000100090009000004b0" : "deadbeef" })
                    {
                        await server.SendToAsync(Convert.FromHexString(junk), r.RemoteEndPoint, cts.Token); // short, wrong version, truncated/wrong opcode, wrong internal port
                    }

                    string real = map ? "00810000000000010007a0ba00000e10" : "00800000000000010cb00071";
                    await server.SendToAsync(Convert.FromHexString(real), r.RemoteEndPoint, cts.Token);
                }
            },
            cts.Token);

        var mapper = new PortMapper(new PortMapperOptions { Gateway = gw, ProbeTimeout = TimeSpan.FromSeconds(3) });
        PortMappingLease lease = await mapper.MapUdpAsync(7, PortMappingProtocol.NatPmp, cts.Token);
        Assert.Equal(new IPEndPoint(IPAddress.Parse("12.176.0.113"), 41146), lease.ExternalEndPoint);
        Assert.Equal(TimeSpan.FromSeconds(3600), lease.Lifetime);
        await fake;
        server.Dispose(); // the delete on dispose then gets no answer and must give up within its bound
        var sw = Stopwatch.StartNew();
        await lease.DisposeAsync();
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Probe_of_a_silent_gateway_reports_nothing_within_the_timeout()
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(TimeSpan.FromSeconds(20));
        IPAddress gw = IPAddress.Parse("127.77.0.2");
        using var junk = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        junk.Bind(new IPEndPoint(gw, 5351));
        Task answerer = Task.Run(
            async () =>
            {
                byte[] buf = new byte[128];
                while (!cts.IsCancellationRequested)
                {
                    SocketReceiveFromResult r = await junk.ReceiveFromAsync(buf, new IPEndPoint(IPAddress.Any, 0), cts.Token);
                    await junk.SendToAsync(new byte[] { 2, 0x81, 0, 0 }, r.RemoteEndPoint, cts.Token); // truncated PCP
                }
            },
            cts.Token);

        var mapper = new PortMapper(new PortMapperOptions { Gateway = gw, ProbeTimeout = TimeSpan.FromMilliseconds(800) });
        var sw = Stopwatch.StartNew();
        PortMappingProbeResult result = await mapper.ProbeAsync(cts.Token);
        Assert.Empty(result.Available);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(5), $"probe took {sw.Elapsed}");
        await Assert.ThrowsAsync<NatException>(() => mapper.MapUdpAsync(9, PortMappingProtocol.Pcp, cts.Token));
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => answerer);
    }
}
