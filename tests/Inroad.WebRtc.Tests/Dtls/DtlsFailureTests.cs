using Inroad.WebRtc.Dtls;
using Inroad.WebRtc.Transport;

namespace Inroad.WebRtc.Tests.Dtls;

public sealed class DtlsFailureTests
{
    [Fact]
    public async Task Client_rejects_a_server_whose_certificate_does_not_match_the_SDP_fingerprint()
    {
        using var cts = DtlsTestPeers.Timeout();
        var (a, b) = InMemoryDatagramLink.CreatePair();
        var wrong = DtlsCertificate.Generate().Fingerprint;
        var accept = DtlsConnection.AcceptAsync(b, DtlsTestPeers.ServerOptions(), cts.Token);
        var client = await Assert.ThrowsAsync<DtlsException>(() => DtlsConnection.ConnectAsync(a, DtlsTestPeers.ClientOptions(remote: wrong), cts.Token));
        Assert.Equal(DtlsError.FingerprintMismatch, client.Error);
        Assert.Equal(42, client.AlertDescription); // bad_certificate
        var server = await Assert.ThrowsAsync<DtlsException>(() => accept);
        Assert.Equal(DtlsError.AlertReceived, server.Error);
        Assert.Equal(42, server.AlertDescription);
    }

    [Fact]
    public async Task Server_rejects_a_client_whose_certificate_does_not_match_the_SDP_fingerprint()
    {
        using var cts = DtlsTestPeers.Timeout();
        var (a, b) = InMemoryDatagramLink.CreatePair();
        var wrong = DtlsCertificate.Generate().Fingerprint;
        var accept = DtlsConnection.AcceptAsync(b, DtlsTestPeers.ServerOptions(remote: wrong), cts.Token);
        var connect = DtlsConnection.ConnectAsync(a, DtlsTestPeers.ClientOptions(), cts.Token);
        var server = await Assert.ThrowsAsync<DtlsException>(() => accept);
        Assert.Equal(DtlsError.FingerprintMismatch, server.Error);
        var client = await Assert.ThrowsAsync<DtlsException>(() => connect);
        Assert.Equal(DtlsError.AlertReceived, client.Error);
        Assert.Equal(42, client.AlertDescription);
    }

    [Fact]
    public async Task Handshake_times_out_cleanly_when_the_peer_never_answers()
    {
        using var cts = DtlsTestPeers.Timeout();
        var (a, _) = InMemoryDatagramLink.CreatePair();
        var options = DtlsTestPeers.ClientOptions();
        options.HandshakeTimeout = TimeSpan.FromMilliseconds(600);
        var error = await Assert.ThrowsAsync<DtlsException>(() => DtlsConnection.ConnectAsync(a, options, cts.Token));
        Assert.Equal(DtlsError.HandshakeTimeout, error.Error);
        Assert.True(error.IsTransient);
    }

    [Fact]
    public async Task Client_that_offered_DTLS_1_3_aborts_on_the_downgrade_sentinel_like_a_browser()
    {
        using var cts = DtlsTestPeers.Timeout();
        var (a, b) = InMemoryDatagramLink.CreatePair();
        var serverOptions = DtlsTestPeers.ServerOptions();
        serverOptions.AlwaysSendDowngradeSentinel = true;
        var accept = DtlsConnection.AcceptAsync(b, serverOptions, cts.Token);
        var client = await Assert.ThrowsAsync<DtlsException>(() => DtlsConnection.ConnectAsync(a, DtlsTestPeers.ClientOptions(), cts.Token));
        Assert.Equal(47, client.AlertDescription); // illegal_parameter
        await Assert.ThrowsAsync<DtlsException>(() => accept);
    }

    [Fact]
    public async Task Client_fails_clearly_when_the_server_picks_DTLS_1_3()
    {
        using var cts = DtlsTestPeers.Timeout();
        var (a, b) = InMemoryDatagramLink.CreatePair();
        var connect = DtlsConnection.ConnectAsync(a, DtlsTestPeers.ClientOptions(), cts.Token);
        var buffer = new byte[2048];
        var hello = new List<byte[]>();
        while (DtlsWire.ReassembleHandshake(hello, 1) is null)
        {
            int n = await b.ReceiveAsync(buffer, cts.Token);
            hello.Add(buffer[..n]);
        }

        await b.SendAsync(Dtls13ServerHello(), cts.Token);
        var error = await Assert.ThrowsAsync<DtlsException>(() => connect);
        Assert.Equal(DtlsError.PeerRequiresDtls13, error.Error);
        Assert.Contains("DTLS 1.3", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Server_fails_clearly_when_the_client_offers_only_DTLS_1_3()
    {
        using var cts = DtlsTestPeers.Timeout();
        var (a, b) = InMemoryDatagramLink.CreatePair();
        var only13 = new ClientHelloShape
        {
            Kind = DtlsProfileKind.Chromium,
            CipherSuites = ClientHelloProfiles.Chromium.CipherSuites,
            Extensions = [.. ClientHelloProfiles.Chromium.Extensions.Select(e => e.Type == ExtensionTypes.SupportedVersions ? e with { Data = [0x02, 0xfe, 0xfc] } : e)],
        };
        var accept = DtlsConnection.AcceptAsync(b, DtlsTestPeers.ServerOptions(), cts.Token);
        var connect = DtlsConnection.ConnectAsync(a, DtlsTestPeers.ClientOptions(DtlsShapePlan.ForTest(only13)), cts.Token);
        var server = await Assert.ThrowsAsync<DtlsException>(() => accept);
        Assert.Equal(DtlsError.PeerRequiresDtls13, server.Error);
        var client = await Assert.ThrowsAsync<DtlsException>(() => connect);
        Assert.Equal(DtlsError.PeerRequiresDtls13, client.Error); // it got protocol_version
    }

    [Fact]
    public async Task Options_are_validated_before_any_io()
    {
        var (a, _) = InMemoryDatagramLink.CreatePair();
        var options = DtlsTestPeers.ClientOptions();
        options.HandshakeTimeout = TimeSpan.Zero;
        var error = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => DtlsConnection.ConnectAsync(a, options, TestContext.Current.CancellationToken));
        Assert.Equal("HandshakeTimeout", error.ParamName);
        await Assert.ThrowsAsync<ArgumentException>(() => DtlsConnection.ConnectAsync(a, new DtlsOptions { Certificate = DtlsTestPeers.ClientCertificate }, TestContext.Current.CancellationToken));
    }

    /// <summary>A DTLS 1.3 ServerHello (supported_versions 0xfefc, TLS_AES_128_GCM_SHA256, an x25519 key share) as Chromium would send.</summary>
    private static byte[] Dtls13ServerHello()
    {
        var body = new List<byte> { 0xfe, 0xfd };
        body.AddRange(new byte[32].Select((_, i) => (byte)(i + 1)));
        body.Add(0); // empty session id
        body.AddRange([0x13, 0x01, 0x00]);
        byte[] extensions = [0x00, 0x2b, 0x00, 0x02, 0xfe, 0xfc, 0x00, 0x33, 0x00, 0x24, 0x00, 0x1d, 0x00, 0x20, .. new byte[32]];
        body.AddRange([(byte)(extensions.Length >> 8), (byte)extensions.Length, .. extensions]);
        byte[] handshake = [0x02, 0x00, (byte)(body.Count >> 8), (byte)body.Count, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, (byte)(body.Count >> 8), (byte)body.Count, .. body];
        return [0x16, 0xfe, 0xfd, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, (byte)(handshake.Length >> 8), (byte)handshake.Length, .. handshake];
    }
}
