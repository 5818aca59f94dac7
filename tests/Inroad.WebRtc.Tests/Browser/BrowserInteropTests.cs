using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using Inroad.Testing;
using Inroad.Testing.Browser;
using Inroad.WebRtc.DataChannels;
using Inroad.WebRtc.Dtls;
using Inroad.WebRtc.PeerConnection;

namespace Inroad.WebRtc.Tests.Browser;

/// <summary>
/// Our peer connection against headless Chromium and Firefox ESR over loopback (signaling: <see cref="BrowserHarness"/>).
/// Both browsers answer a=setup:active, so when we offer we are the DTLS server and the browser offers DTLS 1.3 + 1.2:
/// our 1.2-only server must bring it down to 1.2 (checked on our side and via the browser's getStats tlsVersion). When
/// the browser offers we are the DTLS client: its server picks 1.3 from a 1.3-offering hello, which BouncyCastle
/// cannot finish, so the answerer wears the 1.2-only Firefox12 profile.
/// </summary>
public sealed class BrowserInteropTests(BrowserFixture browsers, ITestOutputHelper output) : IClassFixture<BrowserFixture>
{
    private const int BulkSize = 10 << 20;

    private static RtcPeerOptions Options(DtlsProfileKind profile) => new()
    {
        IncludeLoopback = true,
        HostAddresses = [IPAddress.Loopback],
        ProfileChoice = new DtlsProfileChoice { Allowed = [profile], RandomizedProbability = 0 },
        ConnectTimeout = TimeSpan.FromSeconds(30),
    };

    private static CancellationTokenSource Deadline()
    {
        var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(TimeSpan.FromSeconds(90));
        return cts;
    }

    /// <summary>We offer (DTLS server), the browser answers; returns the connected peer.</summary>
    private async Task<RtcPeerConnection> OfferToBrowserAsync(BrowserHarness browser, string test, CancellationToken ct)
    {
        var launched = Stopwatch.StartNew();
        var (peer, offer) = await RtcPeerConnection.CreateOfferAsync(Options(DtlsProfileKind.Chromium), ct);
        try
        {
            browser.StartJob("answer", test, BulkSize);
            browser.Put("offer", offer);
            string answer = await browser.TakeAsync("answer", ct);
            var connecting = Stopwatch.StartNew();
            await peer.ConnectAsync(answer, ct);
            output.WriteLine($"{browser.UserAgent}\nwe offer: job→connected {launched.ElapsedMilliseconds} ms, ConnectAsync {connecting.ElapsedMilliseconds} ms");
            Assert.Equal(0xfefd, peer.DtlsVersion);
            return peer;
        }
        catch
        {
            await peer.DisposeAsync();
            throw;
        }
    }

    /// <summary>The browser offers (DTLS server), we answer as a 1.2-only client; returns the connected peer.</summary>
    private async Task<RtcPeerConnection> AnswerBrowserAsync(BrowserHarness browser, string test, CancellationToken ct)
    {
        var launched = Stopwatch.StartNew();
        browser.StartJob("offer", test, BulkSize);
        string offer = await browser.TakeAsync("offer", ct);
        var (peer, answer) = await RtcPeerConnection.CreateAnswerAsync(Options(DtlsProfileKind.Firefox12), offer, ct);
        try
        {
            browser.Put("answer", answer);
            var connecting = Stopwatch.StartNew();
            await peer.ConnectAsync(cancellationToken: ct);
            output.WriteLine($"{browser.UserAgent}\n{browser.Kind} offers: job→connected {launched.ElapsedMilliseconds} ms, ConnectAsync {connecting.ElapsedMilliseconds} ms");
            Assert.Equal(0xfefd, peer.DtlsVersion);
            return peer;
        }
        catch
        {
            await peer.DisposeAsync();
            throw;
        }
    }

    private async Task ExchangeBulkAsync(BrowserHarness browser, Stream stream, CancellationToken ct)
    {
        byte[] up = new byte[BulkSize];
        new Random(6).NextBytes(up);
        byte[] down = new byte[BulkSize];
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(stream.WriteAsync(up, ct).AsTask(), stream.ReadExactlyAsync(down, ct).AsTask());
        double seconds = clock.Elapsed.TotalSeconds;
        using JsonDocument result = JsonDocument.Parse(await browser.TakeAsync("result", ct));
        JsonElement r = result.RootElement;
        output.WriteLine($"{browser.Kind}: 10 MiB each way in {seconds:F2} s = {2 * BulkSize / 1e6 / seconds:F1} MB/s both directions together (page: {r.GetProperty("ms").GetDouble():F0} ms); transport {r.GetProperty("transport")}");
        Assert.False(r.TryGetProperty("error", out JsonElement error), $"page error {error}\n{browser.Log}");
        Assert.Equal(BulkSize, r.GetProperty("recvBytes").GetInt32());
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(up)), r.GetProperty("recvHash").GetString());
        Assert.Equal(r.GetProperty("sentHash").GetString(), Convert.ToHexStringLower(SHA256.HashData(down)));
        Assert.Equal("FEFD", r.GetProperty("transport").GetProperty("tlsVersion").GetString());
    }

    [Theory]
    [InlineData(BrowserKind.Chromium)]
    [InlineData(BrowserKind.Firefox)]
    public async Task We_offer_the_browser_answers_and_10_MiB_cross_each_way_byte_exact_over_DTLS_1_2(BrowserKind kind)
    {
        BrowserHarness browser = await browsers.GetAsync(kind, TestContext.Current.CancellationToken); // start bounded on its own
        using CancellationTokenSource deadline = Deadline();
        CancellationToken ct = deadline.Token;
        await using RtcPeerConnection peer = await OfferToBrowserAsync(browser, "bulk", ct);
        Assert.Equal(DtlsProfileKind.Chromium, peer.DtlsProfile);
        await using Stream stream = await peer.OpenStreamAsync("bulk", ct);
        await ExchangeBulkAsync(browser, stream, ct);
    }

    [Theory]
    [InlineData(BrowserKind.Chromium)]
    [InlineData(BrowserKind.Firefox)]
    public async Task The_browser_offers_we_answer_and_10_MiB_cross_each_way_byte_exact_over_DTLS_1_2(BrowserKind kind)
    {
        BrowserHarness browser = await browsers.GetAsync(kind, TestContext.Current.CancellationToken); // start bounded on its own
        using CancellationTokenSource deadline = Deadline();
        CancellationToken ct = deadline.Token;
        await using RtcPeerConnection peer = await AnswerBrowserAsync(browser, "bulk", ct);
        var (stream, label) = await peer.AcceptStreamAsync(ct);
        await using (stream)
        {
            Assert.Equal("bulk", label);
            await ExchangeBulkAsync(browser, stream, ct);
        }
    }

    [Theory]
    [InlineData(BrowserKind.Chromium)]
    [InlineData(BrowserKind.Firefox)]
    public async Task An_unreliable_unordered_channel_carries_1000_whole_messages_each_way(BrowserKind kind)
    {
        BrowserHarness browser = await browsers.GetAsync(kind, TestContext.Current.CancellationToken); // start bounded on its own
        using CancellationTokenSource deadline = Deadline();
        CancellationToken ct = deadline.Token;
        await using RtcPeerConnection peer = await OfferToBrowserAsync(browser, "lossy", ct);
        await using DataChannel channel = await peer.OpenDataChannelAsync(new DataChannelOptions { Label = "lossy", Ordered = false, MaxRetransmits = 0 }, ct);

        var seen = new HashSet<int>();
        int bad = 0;
        Task receiving = Task.Run(
            async () =>
            {
                byte[] buffer = new byte[4096];
                // Once the browser has sent everything, counting stops after 1 s without a message (a loaded
                // machine may still be delivering; a lost message never comes).
                using var quiet = CancellationTokenSource.CreateLinkedTokenSource(ct);
                int allSent = 0;
                _ = browser.TakeAsync("jsSentAll", ct).ContinueWith(
                    _ =>
                    {
                        Volatile.Write(ref allSent, 1);
                        quiet.CancelAfter(TimeSpan.FromSeconds(1));
                    },
                    TaskScheduler.Default);
                try
                {
                    while (seen.Count < 1000)
                    {
                        DataChannelMessage m = await channel.ReceiveAsync(buffer, quiet.Token);
                        if (Volatile.Read(ref allSent) == 1)
                        {
                            quiet.CancelAfter(TimeSpan.FromSeconds(1));
                        }

                        int index = m.Count == 1000 && !m.Truncated ? Index(buffer) : -1;
                        if (index < 0 || !seen.Add(index))
                        {
                            bad++;
                        }
                    }
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                }
            },
            ct);

        for (int index = 0; index < 1000; index++)
        {
            if (index % 10 == 9)
            {
                // Paced (under 1 MB/s): an unpaced burst as large as the congestion window overflows the
                // receiving UDP socket on a loaded machine, and an unreliable channel does not retransmit.
                await Task.Delay(10, ct);
            }

            await channel.SendAsync(Message(index), ct);
        }

        browser.Put("sentAll", "yes");
        await receiving;
        using JsonDocument result = JsonDocument.Parse(await browser.TakeAsync("result", ct));
        JsonElement r = result.RootElement;
        output.WriteLine($"{kind} got {r.GetProperty("whole")} whole of 1000 ({r.GetProperty("bad")} bad); we got {seen.Count} ({bad} bad)");
        Assert.False(r.TryGetProperty("error", out JsonElement error), $"page error {error}\n{browser.Log}");
        Assert.False(r.GetProperty("ordered").GetBoolean());
        Assert.Equal(0, r.GetProperty("maxRetransmits").GetInt32());
        Assert.Equal(0, r.GetProperty("bad").GetInt32());
        Assert.Equal(0, bad);
        // Loopback loses a few under load (no retransmission); the point is that messages arrive whole and once, and most arrive.
        Assert.True(r.GetProperty("whole").GetInt32() >= 800, $"{kind} got only {r.GetProperty("whole")} of 1000");
        Assert.True(seen.Count >= 800, $"we got only {seen.Count} of 1000");
    }

    [Theory]
    [InlineData(BrowserKind.Chromium)]
    [InlineData(BrowserKind.Firefox)]
    public async Task The_browser_sees_our_channel_close_and_then_the_association_shut_down(BrowserKind kind)
    {
        BrowserHarness browser = await browsers.GetAsync(kind, TestContext.Current.CancellationToken); // start bounded on its own
        using CancellationTokenSource deadline = Deadline();
        CancellationToken ct = deadline.Token;
        RtcPeerConnection peer = await OfferToBrowserAsync(browser, "close", ct);
        await using (peer)
        {
            DataChannel channel = await peer.OpenDataChannelAsync(new DataChannelOptions { Label = "close" }, ct);
            await channel.SendTextAsync("echo me", ct);
            byte[] buffer = new byte[64];
            DataChannelMessage echoed = await channel.ReceiveAsync(buffer, ct);
            Assert.Equal("echo me", System.Text.Encoding.UTF8.GetString(buffer, 0, echoed.Count));

            await channel.CloseAsync();
            using JsonDocument closed = JsonDocument.Parse(await browser.TakeAsync("closed", ct));
            Assert.Equal("closed", closed.RootElement.GetProperty("readyState").GetString());
            await channel.Closed.WaitAsync(ct);
        }

        Assert.Equal(RtcPeerState.Closed, peer.State);
        Assert.Equal("closed", await browser.TakeAsync("sctpClosed", ct));
    }

    private static byte[] Message(int index)
    {
        byte[] message = new byte[1000];
        BitConverter.TryWriteBytes(message, index);
        for (int i = 4; i < message.Length; i++)
        {
            message[i] = (byte)(index + i);
        }

        return message;
    }

    private static int Index(ReadOnlySpan<byte> message)
    {
        int index = BitConverter.ToInt32(message);
        if (index is < 0 or >= 1000)
        {
            return -1;
        }

        for (int i = 4; i < 1000; i++)
        {
            if (message[i] != (byte)(index + i))
            {
                return -1;
            }
        }

        return index;
    }
}
