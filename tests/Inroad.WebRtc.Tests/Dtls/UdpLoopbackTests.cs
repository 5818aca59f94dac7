using Inroad.WebRtc.DataChannels;
using Inroad.WebRtc.Dtls;
using Inroad.WebRtc.Sctp;

namespace Inroad.WebRtc.Tests.Dtls;

public sealed class UdpLoopbackTests
{
    [Theory]
    [InlineData(DtlsProfileKind.Chromium, true)]
    [InlineData(DtlsProfileKind.Firefox, false)]
    [InlineData(DtlsProfileKind.Randomized, true)]
    public async Task Handshake_and_records_over_real_loopback_UDP(DtlsProfileKind kind, bool netAesGcm)
    {
        using var cts = DtlsTestPeers.Timeout();
        var (a, b) = UdpDatagramTransport.CreateLoopbackPair();
        await using (a)
        await using (b)
        {
            var clientOptions = DtlsTestPeers.ClientOptions(DtlsShapePlan.Fixed(kind, new SeededRandom(DtlsTestPeers.Seed(9))));
            var serverOptions = DtlsTestPeers.ServerOptions();
            clientOptions.UseNetAesGcm = serverOptions.UseNetAesGcm = netAesGcm;
            var (client, server) = await DtlsTestPeers.HandshakeAsync(a, b, clientOptions, serverOptions, cts.Token);
            await using (client)
            await using (server)
            {
                var buffer = new byte[2048];
                for (int i = 0; i < 100; i++)
                {
                    byte[] message = new byte[client.MaxDatagramSize];
                    message.AsSpan().Fill((byte)i);
                    await client.SendAsync(message, cts.Token);
                    int n = await server.ReceiveAsync(buffer, cts.Token);
                    Assert.Equal(message, buffer[..n]);
                    await server.SendAsync(message.AsMemory(0, i + 1), cts.Token);
                    Assert.Equal(i + 1, await client.ReceiveAsync(buffer, cts.Token));
                }

                // After the handshake records may fill the path (1500 here) less record overhead.
                Assert.InRange(client.MaxDatagramSize, 1500 - 96, 1500 - 29); // a CBC suite costs up to ~77
            }
        }
    }

    [Fact]
    public async Task Closing_one_side_ends_the_other_sides_receive()
    {
        using var cts = DtlsTestPeers.Timeout();
        var (a, b) = UdpDatagramTransport.CreateLoopbackPair();
        await using (a)
        await using (b)
        {
            var (client, server) = await DtlsTestPeers.HandshakeAsync(a, b, DtlsTestPeers.ClientOptions(), DtlsTestPeers.ServerOptions(), cts.Token);
            await client.DisposeAsync(); // close_notify
            await Assert.ThrowsAsync<ObjectDisposedException>(async () => await server.ReceiveAsync(new byte[100], cts.Token));
            await server.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_peers_close_notify_alone_ends_the_sctp_association_pushed_over_dtls()
    {
        using var cts = DtlsTestPeers.Timeout();
        var (a, b) = UdpDatagramTransport.CreateLoopbackPair();
        await using (a)
        await using (b)
        {
            var (client, server) = await DtlsTestPeers.HandshakeAsync(a, b, DtlsTestPeers.ClientOptions(), DtlsTestPeers.ServerOptions(), cts.Token);
            await using var near = new DataChannelSession(client, new DataChannelSessionOptions { IsDtlsClient = true });
            await using var far = new DataChannelSession(server, new DataChannelSessionOptions { IsDtlsClient = false });
            await Task.WhenAll(near.StartAsync(cts.Token), far.StartAsync(cts.Token));
            DataChannel channel = await far.OpenChannelAsync(new DataChannelOptions { Label = "x" }, cts.Token);
            _ = await near.AcceptChannelAsync(cts.Token);

            await client.DisposeAsync(); // close_notify, and no SCTP ABORT: as if the peer's SCTP never got to say goodbye

            var (error, _) = await far.Completion.WaitAsync(cts.Token);
            Assert.Equal(SctpError.TransportClosed, error);
            await channel.Closed.WaitAsync(cts.Token);
            await server.DisposeAsync();
        }
    }
}
