using System.Net;
using System.Net.Sockets;
using System.Text;
using Inroad.Server;
using Inroad.Tests.Tunnel;

namespace Inroad.Tests.Client;

public sealed class LocalProxyTests
{
    private static CancellationToken Timeout()
    {
        var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(TimeSpan.FromSeconds(60));
        return cts.Token;
    }

    private static async Task<NetworkStream> SocksConnectAsync(IPEndPoint proxy, byte[] request, CancellationToken ct)
    {
        var client = new TcpClient();
        await client.ConnectAsync(proxy, ct);
        NetworkStream s = client.GetStream();
        await s.WriteAsync(new byte[] { 5, 1, 0 }, ct);
        byte[] choice = new byte[2];
        await s.ReadExactlyAsync(choice, ct);
        Assert.Equal(new byte[] { 5, 0 }, choice);
        await s.WriteAsync(request, ct);
        return s;
    }

    private static byte[] ConnectRequest(IPEndPoint target, byte command = 1)
    {
        byte[] address = target.Address.GetAddressBytes();
        return [5, command, 0, 1, .. address, (byte)(target.Port >> 8), (byte)target.Port];
    }

    [Fact]
    public async Task Socks5_connect_through_the_tunnel_echoes_256_KiB_byte_for_byte()
    {
        CancellationToken ct = Timeout();
        await using var echo = LoopbackService.Echo();
        await using var harness = await TunnelHarness.StartAsync(TargetPolicy.AllowAll, ct);
        await using NetworkStream s = await SocksConnectAsync(harness.Proxy.SocksEndPoint!, ConnectRequest(echo.EndPoint), ct);
        byte[] reply = new byte[10];
        await s.ReadExactlyAsync(reply, ct);
        Assert.Equal(0, reply[1]);

        byte[] data = new byte[256 * 1024];
        new Random(5).NextBytes(data);
        Task write = Task.Run(async () => { await s.WriteAsync(data, ct); s.Socket.Shutdown(SocketShutdown.Send); }, ct);
        var got = new MemoryStream();
        await s.CopyToAsync(got, ct);
        await write;
        Assert.Equal(data, got.ToArray());
    }

    [Fact]
    public async Task HttpClient_fetches_a_page_through_the_socks5_port_with_the_host_name_resolved_remotely()
    {
        CancellationToken ct = Timeout();
        var heads = new List<string>();
        await using var web = LoopbackService.Http("hello through inroad", heads);
        await using var harness = await TunnelHarness.StartAsync(TargetPolicy.AllowAll, ct);
        using var http = new HttpClient(new SocketsHttpHandler
        {
            Proxy = new WebProxy($"socks5://127.0.0.1:{harness.Proxy.SocksEndPoint!.Port}"),
            UseProxy = true,
        });

        string body = await http.GetStringAsync($"http://localhost:{web.EndPoint.Port}/page", ct);
        Assert.Equal("hello through inroad", body);
        Assert.Contains("GET /page HTTP/1.1", heads.Single(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task HttpClient_fetches_a_page_through_the_http_proxy_port_with_proxy_headers_stripped()
    {
        CancellationToken ct = Timeout();
        var heads = new List<string>();
        await using var web = LoopbackService.Http("plain proxying works", heads);
        await using var harness = await TunnelHarness.StartAsync(TargetPolicy.AllowAll, ct);
        using var http = new HttpClient(new SocketsHttpHandler
        {
            Proxy = new WebProxy($"http://127.0.0.1:{harness.Proxy.HttpEndPoint!.Port}") { Credentials = new NetworkCredential("u", "p") },
            UseProxy = true,
            PreAuthenticate = true,
        });

        string body = await http.GetStringAsync($"http://127.0.0.1:{web.EndPoint.Port}/x?y=1", ct);
        Assert.Equal("plain proxying works", body);
        string head = heads.Single();
        Assert.StartsWith("GET /x?y=1 HTTP/1.1\r\n", head, StringComparison.Ordinal);
        Assert.DoesNotContain("Proxy-", head, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("Connection: close", head, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Http_connect_tunnels_raw_bytes()
    {
        CancellationToken ct = Timeout();
        await using var echo = LoopbackService.Echo();
        await using var harness = await TunnelHarness.StartAsync(TargetPolicy.AllowAll, ct);
        using var client = new TcpClient();
        await client.ConnectAsync(harness.Proxy.HttpEndPoint!, ct);
        NetworkStream s = client.GetStream();
        await s.WriteAsync(Encoding.ASCII.GetBytes($"CONNECT 127.0.0.1:{echo.EndPoint.Port} HTTP/1.1\r\nHost: x\r\n\r\nearly"), ct);
        byte[] expected = "HTTP/1.1 200 Connection Established\r\n\r\nearly"u8.ToArray();
        byte[] got = new byte[expected.Length];
        await s.ReadExactlyAsync(got, ct);
        Assert.Equal(expected, got);
    }

    [Fact]
    public async Task The_default_policy_refuses_private_targets_and_the_client_sees_why()
    {
        CancellationToken ct = Timeout();
        await using var echo = LoopbackService.Echo();
        await using var harness = await TunnelHarness.StartAsync(new TargetPolicy(), ct);

        await using NetworkStream s = await SocksConnectAsync(harness.Proxy.SocksEndPoint!, ConnectRequest(echo.EndPoint), ct);
        byte[] reply = new byte[10];
        await s.ReadExactlyAsync(reply, ct);
        Assert.Equal(0x02, reply[1]); // connection not allowed by ruleset

        using var http = new HttpClient(new SocketsHttpHandler { Proxy = new WebProxy($"http://127.0.0.1:{harness.Proxy.HttpEndPoint!.Port}"), UseProxy = true });
        using HttpResponseMessage response = await http.GetAsync($"http://127.0.0.1:{echo.EndPoint.Port}/", ct);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task Socks5_bind_is_answered_command_not_supported()
    {
        CancellationToken ct = Timeout();
        await using var harness = await TunnelHarness.StartAsync(TargetPolicy.AllowAll, ct);
        await using NetworkStream s = await SocksConnectAsync(harness.Proxy.SocksEndPoint!, ConnectRequest(new IPEndPoint(IPAddress.Loopback, 9), command: 2), ct);
        byte[] reply = new byte[10];
        await s.ReadExactlyAsync(reply, ct);
        Assert.Equal(0x07, reply[1]);
    }

    [Fact]
    public async Task A_refused_port_maps_to_socks_connection_refused()
    {
        CancellationToken ct = Timeout();
        // Port 1 is outside the ephemeral range and nothing listens there. (A port taken from a released listener
        // could meanwhile be handed to another test's listener.)
        var closed = new IPEndPoint(IPAddress.Loopback, 1);
        await using var harness = await TunnelHarness.StartAsync(TargetPolicy.AllowAll, ct);
        await using NetworkStream s = await SocksConnectAsync(harness.Proxy.SocksEndPoint!, ConnectRequest(closed), ct);
        byte[] reply = new byte[10];
        await s.ReadExactlyAsync(reply, ct);
        Assert.Equal(0x05, reply[1]);
    }
}
