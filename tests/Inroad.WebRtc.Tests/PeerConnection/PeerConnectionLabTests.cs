using System.Net;
using System.Security.Cryptography;
using Inroad.Testing.NetLab;
using Inroad.WebRtc.Dtls;
using Inroad.WebRtc.PeerConnection;

namespace Inroad.WebRtc.Tests.PeerConnection;

/// <summary>
/// Two of our peers across a lab link with 20 ms RTT and 1 % loss each way (client 198.18.1.10 → natA, full cone,
/// impaired eth0 → server 203.0.113.30): a correctness test, no timing assertion.
/// </summary>
[Collection(NetLabCollection.Name)]
public sealed class PeerConnectionLabTests(ITestOutputHelper output)
{
    private const int Size = 2 << 20;

    [Fact]
    public async Task A_reliable_channel_carries_2_MiB_each_way_byte_exact_over_20ms_rtt_and_1_percent_loss()
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await using NetLab lab = await NetLab.CreateAsync(new NetLabTopology { NatA = NatBehavior.FullCone, Stun = false }, cts.Token);
        cts.CancelAfter(TimeSpan.FromSeconds(55)); // after CreateAsync: the machine-wide lab lock may wait
        CancellationToken ct = cts.Token;
        await using NfqImpairer impairer = await NfqImpairer.StartAsync(lab, NetLabHosts.NatA, "eth0", delayMs: 10, lossPercent: 1, seed: 11, ct);

        // The ICE socket is bound synchronously inside Create*Async, before its first await, so starting the call on a
        // thread inside the namespace puts the peer's socket there; the rest runs on the thread pool as usual.
        var (client, offer) = await lab.RunIn(NetLabHosts.Client, () => RtcPeerConnection.CreateOfferAsync(Options(NetLabHosts.ClientAddress), ct));
        await using (client)
        {
            var (server, answer) = await lab.RunIn(NetLabHosts.Server, () => RtcPeerConnection.CreateAnswerAsync(Options(NetLabHosts.ServerAddress), offer, ct));
            await using (server)
            {
                output.WriteLine($"lab up and peers gathered after {clock.Elapsed.TotalSeconds:F1} s");
                await Task.WhenAll(client.ConnectAsync(answer, ct), server.ConnectAsync(cancellationToken: ct));
                output.WriteLine($"connected after {clock.Elapsed.TotalSeconds:F1} s");
                Task<Stream> opening = client.OpenStreamAsync("lab", ct);
                var (serverStream, label) = await server.AcceptStreamAsync(ct);
                await using Stream clientStream = await opening;
                await using (serverStream)
                {
                    Assert.Equal("lab", label);
                    byte[] up = RandomBytes(1), down = RandomBytes(2);
                    byte[] upReceived = new byte[Size], downReceived = new byte[Size];
                    await Task.WhenAll(
                        clientStream.WriteAsync(up, ct).AsTask(),
                        serverStream.WriteAsync(down, ct).AsTask(),
                        serverStream.ReadExactlyAsync(upReceived, ct).AsTask(),
                        clientStream.ReadExactlyAsync(downReceived, ct).AsTask());
                    output.WriteLine($"transferred after {clock.Elapsed.TotalSeconds:F1} s");
                    Assert.Equal(SHA256.HashData(up), SHA256.HashData(upReceived));
                    Assert.Equal(SHA256.HashData(down), SHA256.HashData(downReceived));
                }

                RtcPeerStatistics stats = await client.GetStatisticsAsync();
                output.WriteLine($"client: {stats}; {impairer}");
                Assert.True(impairer.Dropped > 0, "the impairer dropped nothing: the link was not lossy");
                Assert.Equal(NetLabHosts.ServerAddress, client.SelectedRemoteEndPoint!.Address);
            }
        }
    }

    private static RtcPeerOptions Options(IPAddress host) => new()
    {
        HostAddresses = [host],
        ProfileChoice = new DtlsProfileChoice { Allowed = [DtlsProfileKind.Chromium], RandomizedProbability = 0 },
        ConnectTimeout = TimeSpan.FromSeconds(20),
    };

    private static byte[] RandomBytes(int seed)
    {
        byte[] b = new byte[Size];
        new Random(seed).NextBytes(b);
        return b;
    }
}
