using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using Inroad.Testing.Browser;
using Inroad.Testing.NetLab;
using Inroad.WebRtc.Dtls;
using Inroad.WebRtc.PeerConnection;

namespace Inroad.WebRtc.Tests.Browser;

/// <summary>
/// DTLS handshakes between our peer (in the lab's <c>proxy</c> namespace, behind natB) and a real browser (in
/// <c>client</c>, behind natA) through the lab's routers, in both signaling roles and with each of our profiles.
/// The answerer is the DTLS client (both browsers answer a=setup:active). Measured: offered DTLS 1.3, Chromium 156
/// and Firefox 153 as DTLS servers both pick 1.3, so our 1.3-offering client profiles fail cleanly with
/// <see cref="DtlsError.PeerRequiresDtls13"/> and the 1.2-only ones succeed; as DTLS clients both browsers accept our
/// 1.2 server whatever profile shapes its ServerHello.
/// </summary>
[Collection(NetLabCollection.Name)]
public sealed partial class BrowserLabTests(BrowserLabFixture fixture, ITestOutputHelper output) : IClassFixture<BrowserLabFixture>
{
    /// <summary>
    /// The lab and a running browser first (the machine-wide lab lock may be held by another run for minutes; lab and
    /// browser starts are bounded on their own), then the test's own bound.
    /// </summary>
    private async Task<(BrowserHarness Browser, CancellationTokenSource Deadline)> StartAsync(BrowserKind kind)
    {
        BrowserHarness browser = await fixture.GetAsync(kind, TestContext.Current.CancellationToken);
        var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(TimeSpan.FromSeconds(45));
        return (browser, cts);
    }

    [Theory]
    [InlineData(BrowserKind.Chromium, DtlsProfileKind.Chromium)]
    [InlineData(BrowserKind.Chromium, DtlsProfileKind.Firefox)]
    [InlineData(BrowserKind.Chromium, DtlsProfileKind.Randomized)]
    [InlineData(BrowserKind.Firefox, DtlsProfileKind.Chromium)]
    [InlineData(BrowserKind.Firefox, DtlsProfileKind.Firefox)]
    [InlineData(BrowserKind.Firefox, DtlsProfileKind.Randomized)]
    public async Task We_offer_and_the_browser_as_DTLS_client_completes_a_1_2_handshake_with_our_server(BrowserKind kind, DtlsProfileKind profile)
    {
        var (browser, deadline) = await StartAsync(kind);
        using CancellationTokenSource bound = deadline;
        Handshake h = await HandshakeAsync(browser, weOffer: true, Only(profile), seed: null, tamper: null, deadline.Token);
        AssertConnected(h, profile);
    }

    [Theory]
    [InlineData(BrowserKind.Chromium, DtlsProfileKind.Firefox12)]
    [InlineData(BrowserKind.Chromium, DtlsProfileKind.Randomized)]
    [InlineData(BrowserKind.Firefox, DtlsProfileKind.Firefox12)]
    [InlineData(BrowserKind.Firefox, DtlsProfileKind.Randomized)]
    public async Task The_browser_offers_and_our_1_2_only_client_completes_the_handshake(BrowserKind kind, DtlsProfileKind profile)
    {
        var (browser, deadline) = await StartAsync(kind);
        using CancellationTokenSource bound = deadline;
        byte[] seed = SeedFor(profile, offersDtls13: false);
        Handshake h = await HandshakeAsync(browser, weOffer: false, Only(profile), seed, tamper: null, deadline.Token);
        AssertConnected(h, profile);
    }

    [Theory]
    [InlineData(BrowserKind.Chromium, DtlsProfileKind.Chromium)]
    [InlineData(BrowserKind.Chromium, DtlsProfileKind.Firefox)]
    [InlineData(BrowserKind.Chromium, DtlsProfileKind.Randomized)]
    [InlineData(BrowserKind.Firefox, DtlsProfileKind.Chromium)]
    [InlineData(BrowserKind.Firefox, DtlsProfileKind.Firefox)]
    [InlineData(BrowserKind.Firefox, DtlsProfileKind.Randomized)]
    public async Task The_browser_as_DTLS_server_picks_1_3_from_our_1_3_offer_and_we_fail_cleanly(BrowserKind kind, DtlsProfileKind profile)
    {
        var (browser, deadline) = await StartAsync(kind);
        using CancellationTokenSource bound = deadline;
        byte[] seed = SeedFor(profile, offersDtls13: true);
        Handshake h = await HandshakeAsync(browser, weOffer: false, Only(profile), seed, tamper: null, deadline.Token);
        Assert.True(h.Error is not null, $"expected DTLS 1.3 from {kind}, but the handshake completed");
        Assert.Equal(DtlsError.PeerRequiresDtls13, h.Error.Error);
        Assert.Equal(RtcPeerState.Failed, h.State);
    }

    [Theory]
    [InlineData(BrowserKind.Chromium, true)]
    [InlineData(BrowserKind.Chromium, false)]
    [InlineData(BrowserKind.Firefox, true)]
    [InlineData(BrowserKind.Firefox, false)]
    public async Task A_browser_certificate_whose_fingerprint_differs_from_its_SDP_is_rejected(BrowserKind kind, bool weOffer)
    {
        var (browser, deadline) = await StartAsync(kind);
        using CancellationTokenSource bound = deadline;
        Handshake h = await HandshakeAsync(browser, weOffer, Only(weOffer ? DtlsProfileKind.Chromium : DtlsProfileKind.Firefox12), seed: null, ForgeFingerprint, deadline.Token);
        Assert.True(h.Error is not null, "a certificate that does not match the SDP fingerprint was accepted");
        Assert.Equal(DtlsError.FingerprintMismatch, h.Error.Error);
    }

    private sealed record Handshake(RtcPeerState State, DtlsProfileKind? Profile, int? Version, DtlsException? Error, JsonElement? Browser);

    private static DtlsProfileChoice Only(DtlsProfileKind profile) => new() { Allowed = [profile], RandomizedProbability = profile == DtlsProfileKind.Randomized ? 1 : 0 };

    /// <summary>The first seed (0, 1, 2, … in the first byte) whose answerer hello offers DTLS 1.3 or not, as asked.</summary>
    private static byte[] SeedFor(DtlsProfileKind profile, bool offersDtls13)
    {
        for (int i = 0; i < 256; i++)
        {
            byte[] seed = new byte[32];
            seed[0] = (byte)i;
            if (DtlsShapePlan.Derive(seed, SignalingRole.Answerer, Only(profile)).ClientHello.OffersDtls13 == offersDtls13)
            {
                return seed;
            }
        }

        throw new InvalidOperationException($"no {profile} seed with offersDtls13={offersDtls13}");
    }

    private void AssertConnected(Handshake h, DtlsProfileKind profile)
    {
        Assert.True(h.Error is null, $"handshake failed: {h.Error}");
        Assert.Equal(RtcPeerState.Connected, h.State);
        Assert.Equal(profile, h.Profile);
        Assert.Equal(0xfefd, h.Version);
        JsonElement transport = h.Browser!.Value.GetProperty("transport");
        Assert.Equal("FEFD", transport.GetProperty("tlsVersion").GetString());
        Assert.Equal("connected", transport.GetProperty("dtlsState").GetString());
        output.WriteLine($"browser: {transport}");
    }

    /// <summary>Replaces the SDP's certificate fingerprint by another one (last byte changed): the browser's real certificate no longer matches.</summary>
    private static string ForgeFingerprint(string sdp) => FingerprintLine().Replace(sdp, m =>
    {
        string last = m.Groups[2].Value;
        string other = (Convert.ToByte(last, 16) ^ 0x5a).ToString("X2", System.Globalization.CultureInfo.InvariantCulture);
        return m.Groups[1].Value + other;
    });

    [GeneratedRegex(@"(a=fingerprint:sha-256 (?:[0-9A-F]{2}:){31})([0-9A-F]{2})")]
    private static partial Regex FingerprintLine();

    /// <summary>
    /// One handshake: our peer in <c>proxy</c> offers (DTLS server) or answers (DTLS client) the browser's job; with
    /// <paramref name="tamper"/> the browser's SDP is altered on its way to us. On success a short echo proves records
    /// flow and the browser's transport stats come back.
    /// </summary>
    private async Task<Handshake> HandshakeAsync(BrowserHarness browser, bool weOffer, DtlsProfileChoice choice, byte[]? seed, Func<string, string>? tamper, CancellationToken ct)
    {
        BrowserKind kind = browser.Kind;
        NetLab lab = fixture.Lab;
        RtcPeerOptions options = BrowserLabFixture.PeerOptions(choice, seed);
        tamper ??= s => s;
        var clock = Stopwatch.StartNew();
        RtcPeerConnection peer;
        Task connecting;
        if (weOffer)
        {
            // The peer's socket is made synchronously inside CreateOfferAsync, so on the namespace thread.
            (peer, string offer) = await lab.RunIn(NetLabHosts.Proxy, () => RtcPeerConnection.CreateOfferAsync(options, ct));
            browser.StartJob("answer", "handshake", stun: BrowserLabFixture.StunServer);
            browser.Put("offer", offer);
            string answer = tamper(await browser.TakeAsync("answer", ct));
            connecting = peer.ConnectAsync(answer, ct);
        }
        else
        {
            browser.StartJob("offer", "handshake", stun: BrowserLabFixture.StunServer);
            string offer = tamper(await browser.TakeAsync("offer", ct));
            (peer, string answer) = await lab.RunIn(NetLabHosts.Proxy, () => RtcPeerConnection.CreateAnswerAsync(options, offer, ct));
            browser.Put("answer", answer);
            connecting = peer.ConnectAsync(cancellationToken: ct);
        }

        await using (peer)
        {
            try
            {
                await connecting;
            }
            catch (RtcPeerException e)
            {
                output.WriteLine($"{kind}, we {(weOffer ? "offer" : "answer")}: {e.Message} after {clock.ElapsedMilliseconds} ms");
                Assert.True(e.InnerException is DtlsException, $"failed outside DTLS: {e}\n{browser.Log}");
                return new Handshake(peer.State, peer.DtlsProfile, peer.DtlsVersion, (DtlsException)e.InnerException, null);
            }

            output.WriteLine($"{kind}, we {(weOffer ? "offer" : "answer")}: connected in {clock.ElapsedMilliseconds} ms via {peer.SelectedRemoteEndPoint}, profile {peer.DtlsProfile}, version {peer.DtlsVersion:x4}");
            Stream stream = weOffer ? await peer.OpenStreamAsync("handshake", ct) : (await peer.AcceptStreamAsync(ct)).Stream;
            await using (stream)
            {
                byte[] ping = "ping!"u8.ToArray();
                await stream.WriteAsync(ping, ct);
                byte[] echo = new byte[ping.Length];
                await stream.ReadExactlyAsync(echo, ct);
                Assert.Equal(ping, echo);
            }

            using JsonDocument result = JsonDocument.Parse(await browser.TakeAsync("result", ct));
            Assert.False(result.RootElement.TryGetProperty("error", out JsonElement error), $"page error {error}\n{browser.Log}");
            return new Handshake(peer.State, peer.DtlsProfile, peer.DtlsVersion, null, result.RootElement.Clone());
        }
    }
}
