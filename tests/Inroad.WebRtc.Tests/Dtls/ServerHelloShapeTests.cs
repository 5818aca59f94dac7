using Inroad.WebRtc.Dtls;
using Inroad.WebRtc.Transport;

namespace Inroad.WebRtc.Tests.Dtls;

public sealed class ServerHelloShapeTests
{
    [Fact]
    public async Task To_a_1_2_only_client_the_server_answers_like_Chromium_with_the_downgrade_sentinel_and_Unix_time()
    {
        var (serverHello, flight) = await ServerFlightAsync(DtlsProfileKind.Firefox12, DtlsShapePlan.Fixed(DtlsProfileKind.Chromium));
        Assert.True(serverHello.HasDowngradeSentinel);
        uint time = (uint)(serverHello.Random[0] << 24 | serverHello.Random[1] << 16 | serverHello.Random[2] << 8 | serverHello.Random[3]);
        Assert.InRange(time, DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 60, DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 60);
        Assert.Equal(32, serverHello.SessionId.Length);
        Assert.Equal(0xc02b, serverHello.CipherSuite);
        Assert.Equal([23, 65281, 11, 14], serverHello.Extensions.Select(e => e.Type)); // BoringSSL's order
        Assert.Equal([0x00, 0x02, 0x00, 0x01, 0x00], serverHello.Extension(14)); // Chromium picks 0x0001 even when Firefox lists AEAD_AES_128_GCM first

        // The whole server flight (ServerHello … ServerHelloDone) in one datagram, as browsers send it.
        var first = flight[0];
        int records = 0;
        for (var span = first.AsSpan(); DtlsWire.TryReadRecord(span, out _, out int consumed); span = span[consumed..])
        {
            records++;
        }

        Assert.Equal(5, records);
        Assert.InRange(first.Length, 600, 700); // Chromium: 645
    }

    [Fact]
    public async Task To_a_client_offering_1_3_the_server_answers_as_a_1_2_only_peer_without_the_sentinel()
    {
        var (serverHello, _) = await ServerFlightAsync(DtlsProfileKind.Chromium, DtlsShapePlan.Fixed(DtlsProfileKind.Chromium));
        Assert.False(serverHello.HasDowngradeSentinel);
        Assert.Equal([0x00, 0x02, 0x00, 0x01, 0x00], serverHello.Extension(14)); // SRTP_AES128_CM_HMAC_SHA1_80, Chromium's pick
        Assert.Equal(0xc02b, serverHello.CipherSuite);
    }

    [Fact]
    public async Task Server_extension_order_follows_the_seeded_plan_after_the_empty_EMS()
    {
        var orders = new HashSet<string>();
        for (int seed = 1; seed <= 12; seed++)
        {
            var plan = DtlsShapePlan.Derive(DtlsTestPeers.Seed(seed), SignalingRole.Offerer, new DtlsProfileChoice());
            var (serverHello, _) = await ServerFlightAsync(DtlsProfileKind.Chromium, plan);
            var types = serverHello.Extensions.Select(e => e.Type).ToArray();
            Assert.Equal(23, types[0]);
            Assert.Equal(plan.ServerExtensionOrder, types[1..]);
            orders.Add(string.Join('-', types));
        }

        Assert.True(orders.Count >= 4, $"only {orders.Count} ServerHello orders in 12 seeds");
    }

    [Fact]
    public async Task Client_second_flight_goes_out_as_one_datagram_like_Chromiums()
    {
        using var cts = DtlsTestPeers.Timeout();
        var (a, b) = InMemoryDatagramLink.CreatePair();
        var recorder = new DtlsTestPeers.Recorder(a);
        var (client, server) = await DtlsTestPeers.HandshakeAsync(recorder, b, DtlsTestPeers.ClientOptions(), DtlsTestPeers.ServerOptions(), cts.Token);
        await client.DisposeAsync();
        await server.DisposeAsync();
        var sent = recorder.Snapshot();

        // 1200 + 263 (ClientHello), then Certificate, ClientKeyExchange, CertificateVerify, ChangeCipherSpec,
        // Finished in one datagram (Chromium: 546 bytes), then the close_notify.
        Assert.Equal([1200, 263], sent.Take(2).Select(d => d.Length));
        var second = sent.First(d => d.Length > 300 && d[0] == 22 && d[13] == 11); // opens with the Certificate (ClientHellos may be resent first on a loaded machine)
        var types = new List<byte>();
        for (var span = second.AsSpan(); DtlsWire.TryReadRecord(span, out var record, out int consumed); span = span[consumed..])
        {
            types.Add(record.ContentType);
        }

        Assert.Equal([22, 22, 22, 20, 22], types);
        Assert.InRange(second.Length, 520, 570);
    }

    private static async Task<(ServerHelloInfo Hello, byte[][] Flight)> ServerFlightAsync(DtlsProfileKind clientKind, DtlsShapePlan serverPlan)
    {
        using var cts = DtlsTestPeers.Timeout();
        var (a, b) = InMemoryDatagramLink.CreatePair();
        var recorder = new DtlsTestPeers.Recorder(b);
        var (client, server) = await DtlsTestPeers.HandshakeAsync(
            a, recorder, DtlsTestPeers.ClientOptions(DtlsShapePlan.Fixed(clientKind)), DtlsTestPeers.ServerOptions(serverPlan), cts.Token);
        await client.DisposeAsync();
        await server.DisposeAsync();
        var flight = recorder.Snapshot();
        byte[] body = DtlsWire.ReassembleHandshake(flight, 2)!;
        Assert.True(ServerHelloInfo.TryRead(body, out var hello));
        return (hello, flight);
    }
}
