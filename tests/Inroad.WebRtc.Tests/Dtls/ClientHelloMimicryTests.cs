using Inroad.WebRtc.Dtls;
using Inroad.WebRtc.Transport;

namespace Inroad.WebRtc.Tests.Dtls;

/// <summary>Our ClientHellos against the browsers' captured ones, field by field.</summary>
public sealed class ClientHelloMimicryTests
{
    [Fact]
    public async Task Chromium_profile_matches_Chromium_156_field_by_field_with_the_same_JA3N_and_framing()
    {
        var (capturedDatagrams, capturedBody) = BrowserCaptures.FirstClientHello("chromium-dtls12-client.pcapng");
        Assert.True(ClientHelloInfo.TryRead(capturedBody, out var browser));
        var (ourDatagrams, ourBody) = await OurClientHelloAsync(DtlsProfileKind.Chromium, seed: 1);
        Assert.True(ClientHelloInfo.TryRead(ourBody, out var ours));

        AssertSameFields(browser, ours);
        Assert.Equal(1413, ourBody.Length);
        Assert.Equal(capturedBody.Length, ourBody.Length);
        Assert.Equal(capturedDatagrams.Select(d => d.Length), ourDatagrams.Select(d => d.Length)); // 1200 + 263
        Assert.All(ourDatagrams, d => Assert.Equal(0xfeff, d[1] << 8 | d[2])); // DTLS 1.0 record version, as Chromium

        Assert.Equal("c9741135ecca80b93b2f669f299d05ec", BrowserCaptures.Md5Hex(ours.Ja3String(sortExtensions: true)));

        // With the capture's extension order our bytes give the capture's JA3.
        byte[] reordered = DtlsWire.ReorderClientHelloExtensions(ourBody, [.. browser.Extensions.Select(e => e.Type)]);
        Assert.True(ClientHelloInfo.TryRead(reordered, out var asCaptured));
        Assert.Equal("045e705667702ec6e20885c4b7f4e41b", BrowserCaptures.Md5Hex(asCaptured.Ja3String(sortExtensions: false)));
        Assert.Equal(browser.Ja3String(false), asCaptured.Ja3String(false));
    }

    [Fact]
    public async Task Chromium_profile_permutes_its_extension_order_per_connection_like_BoringSSL()
    {
        var orders = new HashSet<string>();
        var ja3n = new HashSet<string>();
        for (int seed = 1; seed <= 6; seed++)
        {
            var (_, body) = await OurClientHelloAsync(DtlsProfileKind.Chromium, seed);
            Assert.True(ClientHelloInfo.TryRead(body, out var hello));
            orders.Add(string.Join('-', hello.Extensions.Select(e => e.Type)));
            ja3n.Add(hello.Ja3String(sortExtensions: true));
        }

        Assert.True(orders.Count >= 5, $"only {orders.Count} distinct orders in 6 connections");
        Assert.Single(ja3n);
    }

    [Fact]
    public async Task Firefox_profile_matches_Firefox_ESR_153_with_the_same_JA3_and_JA3N()
    {
        var (capturedDatagrams, capturedBody) = BrowserCaptures.FirstClientHello("firefox.pcapng");
        Assert.True(ClientHelloInfo.TryRead(capturedBody, out var browser));
        var (ourDatagrams, ourBody) = await OurClientHelloAsync(DtlsProfileKind.Firefox, seed: 3);
        Assert.True(ClientHelloInfo.TryRead(ourBody, out var ours));

        AssertSameFields(browser, ours);
        Assert.Equal(browser.Extensions.Select(e => e.Type), ours.Extensions.Select(e => e.Type)); // fixed order
        Assert.Equal(capturedBody.Length, ourBody.Length);
        Assert.Equal(capturedDatagrams.Select(d => d.Length), ourDatagrams.Select(d => d.Length));
        Assert.Equal("c11bb74fd879f38f1f522d27dc037178", BrowserCaptures.Md5Hex(ours.Ja3String(false)));
        Assert.Equal("1fbf38e11228d5933b2d889ecf979497", BrowserCaptures.Md5Hex(ours.Ja3String(true)));
    }

    [Fact]
    public async Task Firefox12_profile_matches_Firefox_capped_at_DTLS_1_2()
    {
        var (capturedDatagrams, capturedBody) = BrowserCaptures.FirstClientHello("firefox-dtls12.pcapng");
        Assert.True(ClientHelloInfo.TryRead(capturedBody, out var browser));
        var (ourDatagrams, ourBody) = await OurClientHelloAsync(DtlsProfileKind.Firefox12, seed: 4);
        Assert.True(ClientHelloInfo.TryRead(ourBody, out var ours));

        AssertSameFields(browser, ours);
        Assert.Equal(browser.Extensions.Select(e => e.Type), ours.Extensions.Select(e => e.Type));
        Assert.Equal(capturedDatagrams.Select(d => d.Length), ourDatagrams.Select(d => d.Length));
        Assert.Equal("3e12a43c7535bb32beac3928f8fe905d", BrowserCaptures.Md5Hex(ours.Ja3String(false)));
    }

    [Fact]
    public async Task Randomized_profiles_differ_from_each_other_and_keep_an_ECDHE_ECDSA_suite()
    {
        var ja3 = new HashSet<string>();
        for (int seed = 1; seed <= 8; seed++)
        {
            var (_, body) = await OurClientHelloAsync(DtlsProfileKind.Randomized, seed);
            Assert.True(ClientHelloInfo.TryRead(body, out var hello));
            Assert.Contains(hello.CipherSuites, s => ClientHelloProfiles.EcdheEcdsaSuites.Contains(s));
            ja3.Add(hello.Ja3String(sortExtensions: true));
        }

        Assert.True(ja3.Count >= 7, $"only {ja3.Count} distinct JA3N among 8 randomized hellos");
    }

    /// <summary>Everything but random and key-share bytes must equal; key shares must have the same groups and sizes.</summary>
    private static void AssertSameFields(ClientHelloInfo browser, ClientHelloInfo ours)
    {
        Assert.Equal(browser.Version, ours.Version);
        Assert.Equal(browser.SessionId, ours.SessionId);
        Assert.Equal(browser.Cookie, ours.Cookie);
        Assert.Equal(browser.CipherSuites, ours.CipherSuites);
        Assert.Equal(browser.CompressionMethods, ours.CompressionMethods);
        Assert.Equal(browser.Extensions.Select(e => e.Type).Order(), ours.Extensions.Select(e => e.Type).Order());
        foreach (var extension in browser.Extensions)
        {
            byte[] mine = ours.Extension(extension.Type)!;
            if (extension.Type == ExtensionTypes.KeyShare)
            {
                Assert.Equal(KeyShareLayout(extension.Data), KeyShareLayout(mine));
            }
            else
            {
                Assert.True(extension.Data.AsSpan().SequenceEqual(mine), $"extension {extension.Type} differs");
            }
        }
    }

    private static List<(int Group, int Length)> KeyShareLayout(byte[] data)
    {
        var layout = new List<(int, int)>();
        for (int at = 2; at + 4 <= data.Length;)
        {
            int length = data[at + 2] << 8 | data[at + 3];
            layout.Add((data[at] << 8 | data[at + 1], length));
            at += 4 + length;
        }

        return layout;
    }

    /// <summary>Runs our client against a silent peer and returns its first-flight datagrams and ClientHello body.</summary>
    internal static async Task<(byte[][] Datagrams, byte[] Body)> OurClientHelloAsync(DtlsProfileKind kind, int seed)
    {
        using var cts = DtlsTestPeers.Timeout();
        var (a, b) = InMemoryDatagramLink.CreatePair();
        var recorder = new DtlsTestPeers.Recorder(a);
        var options = DtlsTestPeers.ClientOptions(DtlsShapePlan.Fixed(kind, new SeededRandom(DtlsTestPeers.Seed(seed))), seed: seed);
        options.HandshakeTimeout = TimeSpan.FromSeconds(5);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cts.Token);
        var connect = DtlsConnection.ConnectAsync(recorder, options, stop.Token);
        var buffer = new byte[2048];
        var first = new List<byte[]>();
        while (true)
        {
            int n = await b.ReceiveAsync(buffer, cts.Token);
            first.Add(buffer[..n]);
            byte[]? body = DtlsWire.ReassembleHandshake(first, 1);
            if (body is not null)
            {
                await stop.CancelAsync();
                await Assert.ThrowsAnyAsync<OperationCanceledException>(() => connect);
                return ([.. first], body);
            }
        }
    }
}
