using System.Net;
using System.Security.Cryptography;
using Inroad.WebRtc.Dtls;
using Inroad.WebRtc.Ice;
using Inroad.WebRtc.PeerConnection;

namespace Inroad.WebRtc.Tests.PeerConnection;

/// <summary>
/// Two of our peers over real loopback UDP on the bulk data path (receive thread with GRO, GSO batches,
/// AES-GCM records sealed and opened in place) and against a peer on the portable path (BouncyCastle records,
/// one datagram per call), byte for byte in both directions at once.
/// </summary>
public sealed class DatapathTests
{
    private static RtcPeerOptions Options(bool fallback) => new()
    {
        IncludeLoopback = true,
        HostAddresses = [IPAddress.Loopback],
        ProfileChoice = new DtlsProfileChoice { Allowed = [DtlsProfileKind.Chromium], RandomizedProbability = 0 },
        ShapeSeed = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray(),
        DisableDatapathOffloads = fallback,
    };

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public async Task Bulk_transfer_both_ways_is_byte_exact(bool offererFallback, bool answererFallback)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(TimeSpan.FromSeconds(90));
        CancellationToken ct = cts.Token;
        var (offerer, offer) = await RtcPeerConnection.CreateOfferAsync(Options(offererFallback), ct);
        await using (offerer)
        {
            var (answerer, answer) = await RtcPeerConnection.CreateAnswerAsync(Options(answererFallback), offer, ct);
            await using (answerer)
            {
                await Task.WhenAll(offerer.ConnectAsync(answer, ct), answerer.ConnectAsync(cancellationToken: ct));
                Assert.Equal(!offererFallback, offerer.Dtls!.FastRecords);
                Assert.Equal(!answererFallback, answerer.Dtls!.FastRecords);

                Task<(Stream Stream, string Label)> accepting = answerer.AcceptStreamAsync(ct);
                await using Stream a = await offerer.OpenStreamAsync("bulk", ct);
                var (b, _) = await accepting;
                await using (b)
                {
                    byte[] up = new byte[6 << 20];
                    byte[] down = new byte[2 << 20];
                    new Random(11).NextBytes(up);
                    new Random(12).NextBytes(down);
                    byte[] gotUp = new byte[up.Length];
                    byte[] gotDown = new byte[down.Length];
                    await Task.WhenAll(
                        Task.Run(async () => await a.WriteAsync(up, ct), ct),
                        Task.Run(async () => await b.WriteAsync(down, ct), ct),
                        Task.Run(async () => await b.ReadExactlyAsync(gotUp, ct), ct),
                        Task.Run(async () => await a.ReadExactlyAsync(gotDown, ct), ct));
                    Assert.Equal(SHA256.HashData(up), SHA256.HashData(gotUp));
                    Assert.Equal(SHA256.HashData(down), SHA256.HashData(gotDown));
                }

                foreach (var (peer, fallback) in new[] { (offerer, offererFallback), (answerer, answererFallback) })
                {
                    var (sealedRecords, opened) = peer.Dtls!.FastRecordCounts;
                    var counters = peer.Ice!.SocketCounters;
                    if (fallback)
                    {
                        Assert.Equal(0, sealedRecords);
                        Assert.Equal(counters.DatagramsSent, counters.SendCalls);
                    }
                    else
                    {
                        Assert.True(sealedRecords > 1000 && opened > 1000, $"in-place records: {sealedRecords} sealed, {opened} opened");
                        if (LinuxUdp.IsSupported && peer.Ice.Offloads.Gso)
                        {
                            Assert.True(counters.SendCalls < counters.DatagramsSent, $"{counters.SendCalls} send calls for {counters.DatagramsSent} datagrams");
                        }
                    }
                }

                RtcPeerStatistics stats = await answerer.GetStatisticsAsync();
                Assert.True(stats.DataPacketsReceived > (6 << 20) / 1200);
                Assert.True(stats.SacksSent > 0 && stats.SacksSent <= stats.DataPacketsReceived);
            }
        }
    }
}
