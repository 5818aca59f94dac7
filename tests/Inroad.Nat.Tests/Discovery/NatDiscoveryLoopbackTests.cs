using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Inroad.Nat.Discovery;
using Inroad.WebRtc.Stun;

namespace Inroad.Nat.Tests.Discovery;

public sealed class NatDiscoveryLoopbackTests
{
    [Fact]
    public async Task Server_without_other_address_is_reported_not_supported()
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(TimeSpan.FromSeconds(20));
        await using StunServer server = StunServer.Start(new StunServerOptions { ListenEndPoint = new IPEndPoint(IPAddress.Loopback, 0) });
        NatDiscoveryResult r = await NatDiscovery.DiscoverAsync(new NatDiscoveryOptions { Server = server.LocalEndPoint, LocalAddress = IPAddress.Loopback }, cts.Token);
        Assert.False(r.Supported);
        Assert.Equal(NatType.Unknown, r.Type);
        Assert.NotNull(r.MappedEndPoint);
        Assert.Single(r.RoundTripTimes);
    }

    [Fact]
    public async Task Silent_or_spoofing_server_ends_within_the_overall_timeout()
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(TimeSpan.FromSeconds(20));
        using var fake = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        fake.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        Task spoofer = Task.Run(
            async () =>
            {
                byte[] buf = new byte[1500];
                while (true)
                {
                    SocketReceiveFromResult r = await fake.ReceiveFromAsync(buf, new IPEndPoint(IPAddress.Any, 0), cts.Token);
                    byte[] reply = buf[..r.ReceivedBytes];
                    reply[0] = 0x01;
                    reply[1] = 0x01; // a success response…
                    reply[19] ^= 0xFF; // …to another transaction
                    await fake.SendToAsync(reply, r.RemoteEndPoint, cts.Token);
                    await fake.SendToAsync(new byte[] { 1, 1, 0, 4 }, r.RemoteEndPoint, cts.Token); // and a truncated one
                }
            },
            cts.Token);

        var sw = Stopwatch.StartNew();
        NatDiscoveryResult result = await NatDiscovery.DiscoverAsync(
            new NatDiscoveryOptions
            {
                Server = (IPEndPoint)fake.LocalEndPoint!,
                LocalAddress = IPAddress.Loopback,
                RoundTripTimeout = TimeSpan.FromMilliseconds(400),
                OverallTimeout = TimeSpan.FromSeconds(2),
            },
            cts.Token);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(4), $"took {sw.Elapsed}");
        Assert.Equal(NatType.Unknown, result.Type);
        Assert.NotNull(result.Error);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => spoofer);
    }

    [Fact]
    public void Options_are_validated_before_any_io()
    {
        Assert.Throws<ArgumentNullException>(() => new NatDiscoveryOptions().Validate());
        var o = new NatDiscoveryOptions { Server = new IPEndPoint(IPAddress.Loopback, 3478), OverallTimeout = TimeSpan.FromMilliseconds(500) };
        Assert.Equal("OverallTimeout", Assert.Throws<ArgumentOutOfRangeException>(o.Validate).ParamName);
    }
}
