using System.Buffers.Binary;
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
        using Socket server = BindGatewayPort(gw);
        using var serving = CancellationTokenSource.CreateLinkedTokenSource(cts.Token);

        // Answers every request it gets (a resend too), so how fast it answers changes nothing.
        Task fake = Task.Run(
            async () =>
            {
                byte[] buf = new byte[64];
                while (true)
                {
                    SocketReceiveFromResult r = await server.ReceiveFromAsync(buf, new IPEndPoint(IPAddress.Any, 0), serving.Token);
                    bool map = buf[1] == 1;
                    foreach (string junk in new[] { "00", "0180000000000001cb007101", map ? "0081000000000001" : "0088000000000001cb007101", map ? "008100000000000100090009000004b0" : "deadbeef" })
                    {
                        await server.SendToAsync(Convert.FromHexString(junk), r.RemoteEndPoint, serving.Token); // short, wrong version, truncated/wrong opcode, wrong internal port
                    }

                    string real = map ? "00810000000000010007a0ba00000e10" : "00800000000000010cb00071";
                    await server.SendToAsync(Convert.FromHexString(real), r.RemoteEndPoint, serving.Token);
                }
            },
            serving.Token);

        var mapper = new PortMapper(new PortMapperOptions { Gateway = gw, ProbeTimeout = TimeSpan.FromSeconds(3) });
        PortMappingLease lease = await mapper.MapUdpAsync(7, PortMappingProtocol.NatPmp, cts.Token);
        Assert.Equal(new IPEndPoint(IPAddress.Parse("12.176.0.113"), 41146), lease.ExternalEndPoint);
        Assert.Equal(TimeSpan.FromSeconds(3600), lease.Lifetime);
        await serving.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => fake);
        server.Dispose(); // the delete on dispose then gets no answer and must give up within its bound
        var sw = Stopwatch.StartNew();
        await lease.DisposeAsync();
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task An_answer_left_over_from_an_earlier_exchange_is_not_taken_for_the_next()
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(TimeSpan.FromSeconds(20));
        IPAddress gw = IPAddress.Parse("127.77.0.3");
        using Socket server = BindGatewayPort(gw);
        var duplicated = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        // NAT-PMP gateway that answers the first MAP twice (as if it had also answered a resend) with port 1111,
        // and every later MAP with port 2222.
        Task fake = Task.Run(
            async () =>
            {
                byte[] buf = new byte[64];
                int maps = 0;
                while (true)
                {
                    SocketReceiveFromResult r = await server.ReceiveFromAsync(buf, new IPEndPoint(IPAddress.Any, 0), cts.Token);
                    if (buf[1] == 0)
                    {
                        await server.SendToAsync(Convert.FromHexString("00800000000000010cb00071"), r.RemoteEndPoint, cts.Token);
                        continue;
                    }

                    if (buf[1] != 1 || BinaryPrimitives.ReadUInt32BigEndian(buf.AsSpan(8)) == 0)
                    {
                        continue; // a delete (lifetime 0) goes unanswered
                    }

                    maps++;
                    byte[] answer = Convert.FromHexString(maps == 1 ? "00810000000000010007045700000e10" : "0081000000000002000708ae00000e10");
                    await server.SendToAsync(answer, r.RemoteEndPoint, cts.Token);
                    if (maps == 1)
                    {
                        await server.SendToAsync(answer, r.RemoteEndPoint, cts.Token);
                        duplicated.TrySetResult();
                    }
                }
            },
            cts.Token);

        var mapper = new PortMapper(new PortMapperOptions { Gateway = gw, ProbeTimeout = TimeSpan.FromSeconds(3), ListenForAnnouncements = false });
        await using PortMappingLease lease = await mapper.MapUdpAsync(7, PortMappingProtocol.NatPmp, cts.Token);
        Assert.Equal(1111, lease.ExternalEndPoint.Port);
        await duplicated.Task.WaitAsync(cts.Token); // the copy now waits in the client's socket

        await lease.RenewAsync(cts.Token);
        Assert.Equal(2222, lease.ExternalEndPoint.Port);
        Assert.Equal(1, lease.Renewals);
        Assert.False(fake.IsFaulted, fake.Exception?.ToString());
    }

    [Fact]
    public async Task Probe_of_a_silent_gateway_reports_nothing_within_the_timeout()
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(TimeSpan.FromSeconds(20));
        IPAddress gw = IPAddress.Parse("127.77.0.2");
        using Socket junk = BindGatewayPort(gw);
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

    /// <summary>A fake gateway's socket on its PCP/NAT-PMP server port.</summary>
    private static Socket BindGatewayPort(IPAddress gateway)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(gateway, 5351));
        return socket;
    }
}
