using System.Net;
using Inroad.WebRtc.DataChannels;
using Inroad.WebRtc.Dtls;
using Inroad.WebRtc.PeerConnection;

namespace Inroad.WebRtc.Tests.PeerConnection;

public sealed class RtcPeerConnectionTests
{
    private static RtcPeerOptions LoopbackOptions(DtlsProfileKind profile) => new()
    {
        IncludeLoopback = true,
        HostAddresses = [IPAddress.Loopback],
        ProfileChoice = new DtlsProfileChoice { Allowed = [profile], RandomizedProbability = 0 },
        ShapeSeed = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray(), // the randomized shape replays exactly
        ConnectTimeout = TimeSpan.FromSeconds(30),
    };

    private static CancellationToken Timeout()
    {
        var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(TimeSpan.FromSeconds(90));
        return cts.Token;
    }

    private static async Task<(RtcPeerConnection Offerer, RtcPeerConnection Answerer)> ConnectPairAsync(DtlsProfileKind profile, CancellationToken ct)
    {
        var (offerer, offer) = await RtcPeerConnection.CreateOfferAsync(LoopbackOptions(profile), ct);
        var (answerer, answer) = await RtcPeerConnection.CreateAnswerAsync(LoopbackOptions(profile), offer, ct);
        await Task.WhenAll(offerer.ConnectAsync(answer, ct), answerer.ConnectAsync(cancellationToken: ct));
        return (offerer, answerer);
    }

    [Theory]
    [InlineData(DtlsProfileKind.Chromium)]
    [InlineData(DtlsProfileKind.Firefox)]
    [InlineData(DtlsProfileKind.Randomized)]
    public async Task Two_peers_connect_over_loopback_and_move_two_MiB_each_way_byte_for_byte(DtlsProfileKind profile)
    {
        CancellationToken ct = Timeout();
        var (offerer, answerer) = await ConnectPairAsync(profile, ct);
        await using (offerer)
        await using (answerer)
        {
            Assert.Equal(RtcPeerState.Connected, offerer.State);
            Assert.Equal(RtcPeerState.Connected, answerer.State);
            Assert.Equal(IPAddress.Loopback, offerer.SelectedRemoteEndPoint!.Address);

            Task<(Stream Stream, string Label)> accepting = answerer.AcceptStreamAsync(ct);
            await using Stream a = await offerer.OpenStreamAsync("tunnel", ct);
            var (b, label) = await accepting;
            await using (b)
            {
                Assert.Equal("tunnel", label);
                byte[] up = new byte[2 << 20];
                byte[] down = new byte[2 << 20];
                new Random(1).NextBytes(up);
                new Random(2).NextBytes(down);
                byte[] gotUp = new byte[up.Length];
                byte[] gotDown = new byte[down.Length];
                await Task.WhenAll(
                    a.WriteAsync(up, ct).AsTask(),
                    b.WriteAsync(down, ct).AsTask(),
                    b.ReadExactlyAsync(gotUp, ct).AsTask(),
                    a.ReadExactlyAsync(gotDown, ct).AsTask());
                Assert.Equal(up, gotUp);
                Assert.Equal(down, gotDown);

                RtcPeerStatistics stats = await answerer.GetStatisticsAsync();
                Assert.Equal(profile, stats.DtlsProfile);
                Assert.True(stats.BytesReceived >= up.Length, $"received {stats.BytesReceived}");
                Assert.True(stats.PacketsSent > 0 && stats.PacketsReceived > up.Length / 1200);
                Assert.True(stats.CongestionWindow > 0);
                Assert.Equal(IPAddress.Loopback, stats.SelectedRemoteEndPoint!.Address);
            }
        }

        Assert.Equal(RtcPeerState.Closed, offerer.State);
    }

    [Fact]
    public async Task Shaped_streams_on_both_peers_derive_their_own_plans_and_carry_bytes_exactly()
    {
        CancellationToken ct = Timeout();
        var (offerer, answerer) = await ConnectPairAsync(DtlsProfileKind.Chromium, ct);
        await using (offerer)
        await using (answerer)
        {
            var shaping = new DataChannelShaping(
                Enumerable.Range(1, 32).Select(i => (byte)i).ToArray(),
                DataChannelShapingParameters.Default with { MinPaddedMessages = 3, MinPaddingSize = 1 });
            Task<(Stream Stream, string Label)> accepting = answerer.AcceptStreamAsync(shaping, ct);
            await using Stream a = await offerer.OpenStreamAsync("shaped", shaping, ct);
            var (b, _) = await accepting;
            await using (b)
            {
                byte[] up = new byte[256 * 1024];
                new Random(3).NextBytes(up);
                byte[] got = new byte[up.Length];
                byte[] echo = new byte[up.Length];
                await Task.WhenAll(
                    a.WriteAsync(up, ct).AsTask(),
                    Task.Run(async () =>
                    {
                        await b.ReadExactlyAsync(got, ct);
                        await b.WriteAsync(got, ct);
                    }, ct),
                    a.ReadExactlyAsync(echo, ct).AsTask());
                Assert.Equal(up, got);
                Assert.Equal(up, echo);
                var sa = Assert.IsType<ShapedDataChannelStream>(a);
                var sb = Assert.IsType<ShapedDataChannelStream>(b);
                Assert.Equal(sa.PaddedMessagesSent, sb.PaddedMessagesReceived);
                Assert.Equal(sb.PaddedMessagesSent, sa.PaddedMessagesReceived);
                Assert.InRange(sa.PaddedMessagesSent, 3, 10);
            }
        }
    }

    [Fact]
    public async Task An_unreliable_unordered_channel_delivers_messages_whole()
    {
        CancellationToken ct = Timeout();
        var (offerer, answerer) = await ConnectPairAsync(DtlsProfileKind.Chromium, ct);
        await using (offerer)
        await using (answerer)
        {
            ValueTask<DataChannel> accepting = answerer.AcceptDataChannelAsync(ct);
            await using DataChannel sender = await offerer.OpenDataChannelAsync(new DataChannelOptions { Label = "udp", Ordered = false, MaxRetransmits = 0 }, ct);
            await using DataChannel receiver = await accepting;
            Assert.False(receiver.Ordered);
            Assert.Equal(0, receiver.MaxRetransmits);

            var seen = new HashSet<int>();
            byte[] buffer = new byte[2048];
            for (int i = 0; i < 200; i++)
            {
                byte[] message = new byte[1000];
                BitConverter.TryWriteBytes(message, i);
                await sender.SendAsync(message, ct);
            }

            using var quiet = CancellationTokenSource.CreateLinkedTokenSource(ct);
            quiet.CancelAfter(TimeSpan.FromSeconds(5));
            try
            {
                while (seen.Count < 200)
                {
                    DataChannelMessage m = await receiver.ReceiveAsync(buffer, quiet.Token);
                    Assert.Equal(1000, m.Count);
                    Assert.False(m.Truncated);
                    seen.Add(BitConverter.ToInt32(buffer));
                }
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
            }

            // Loopback loses nothing in practice; the point is that whole messages arrive, each once.
            Assert.True(seen.Count >= 190, $"only {seen.Count} of 200 messages arrived");
        }
    }

    [Fact]
    public async Task A_tampered_answer_fingerprint_fails_the_connection_at_DTLS()
    {
        CancellationToken ct = Timeout();
        var (offerer, offer) = await RtcPeerConnection.CreateOfferAsync(LoopbackOptions(DtlsProfileKind.Chromium), ct);
        var (answerer, answer) = await RtcPeerConnection.CreateAnswerAsync(LoopbackOptions(DtlsProfileKind.Chromium), offer, ct);
        await using (offerer)
        await using (answerer)
        {
            int at = answer.IndexOf("a=fingerprint:sha-256 ", StringComparison.Ordinal) + "a=fingerprint:sha-256 ".Length;
            string forged = answer[..at] + (answer[at] == 'A' ? 'B' : 'A') + answer[(at + 1)..];
            Task answering = answerer.ConnectAsync(cancellationToken: ct);
            var error = await Assert.ThrowsAsync<RtcPeerException>(() => offerer.ConnectAsync(forged, ct));
            Assert.StartsWith("DTLS", error.Message, StringComparison.Ordinal);
            Assert.Equal(RtcPeerState.Failed, offerer.State);
            await Assert.ThrowsAnyAsync<Exception>(() => answering);
        }
    }

    [Fact]
    public async Task A_malformed_offer_is_refused_with_a_clear_error()
    {
        var error = await Assert.ThrowsAsync<ArgumentException>(() =>
            RtcPeerConnection.CreateAnswerAsync(LoopbackOptions(DtlsProfileKind.Chromium), "v=0\r\nnonsense\r\n", TestContext.Current.CancellationToken));
        Assert.Contains("offer", error.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_peer_that_vanishes_without_a_word_fails_the_connection_within_the_consent_timeout()
    {
        CancellationToken ct = Timeout();
        RtcPeerOptions options = LoopbackOptions(DtlsProfileKind.Chromium);
        // 3 s (consent checks every 600 ms): short enough to tell from SCTP's minutes of retransmissions, long enough
        // that a loaded machine does not lose consent before the cut (that would fail the transfer below).
        options.ConsentTimeout = TimeSpan.FromSeconds(3);
        await using var path = new CuttableUdpPath();
        var (offerer, offer) = await RtcPeerConnection.CreateOfferAsync(options, ct);
        var (answerer, answer) = await RtcPeerConnection.CreateAnswerAsync(options, path.RewriteOffer(offer, out IPEndPoint offererReal), ct);
        string answerSeen = path.RewriteAnswer(answer, out IPEndPoint answererReal);
        path.Start(offererReal, answererReal);
        await using (offerer)
        await using (answerer)
        {
            await Task.WhenAll(offerer.ConnectAsync(answerSeen, ct), answerer.ConnectAsync(cancellationToken: ct));
            Assert.NotEqual(answererReal.Port, offerer.SelectedRemoteEndPoint!.Port); // traffic goes through the path
            Task<(Stream Stream, string Label)> accepting = answerer.AcceptStreamAsync(ct);
            await using Stream a = await offerer.OpenStreamAsync("tunnel", ct);
            (Stream b, _) = await accepting;
            await using (b)
            {
                byte[] data = new byte[256 * 1024];
                await a.WriteAsync(data, ct);
                await b.ReadExactlyAsync(data, ct);
                Task offererFailed = FailedAsync(offerer);
                Task answererFailed = FailedAsync(answerer);
                Task<int> pendingRead = a.ReadAsync(new byte[1024], ct).AsTask();

                path.Cut(); // no ABORT, no close_notify: only consent checks going unanswered can tell

                using var bound = CancellationTokenSource.CreateLinkedTokenSource(ct);
                bound.CancelAfter(TimeSpan.FromSeconds(20)); // 3 s consent timeout, not the minutes SCTP retransmissions would take
                await Task.WhenAll(offererFailed, answererFailed).WaitAsync(bound.Token);
                await Task.WhenAll(offerer.Completion, answerer.Completion).WaitAsync(bound.Token);
                Assert.Equal(0, await pendingRead.WaitAsync(bound.Token)); // the channel is closed: its reads end
            }
        }

        static Task FailedAsync(RtcPeerConnection peer)
        {
            var failed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            peer.StateChanged += s =>
            {
                if (s == RtcPeerState.Failed)
                {
                    failed.TrySetResult();
                }
            };
            if (peer.State == RtcPeerState.Failed)
            {
                failed.TrySetResult(); // it failed before we listened: the event has been and gone
            }

            return failed.Task;
        }
    }
}
