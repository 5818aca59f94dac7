using System.Net;
using System.Net.Sockets;
using System.Text;
using Inroad.Client.LocalProxy;
using Inroad.Server;
using Inroad.Sessions.Keys;
using Inroad.Sessions.Obfuscation;
using Inroad.Sessions.Streams;
using Inroad.Testing;
using Inroad.Tunnel;

namespace Inroad.Tests.Tunnel;

/// <summary>
/// Local proxy → tunnel multiplexer → secure tunnel stream over real loopback TCP → server stream
/// service → real targets. Loopback TCP stands in for the WebRTC path, which other tests cover.
/// </summary>
internal sealed class TunnelHarness : IAsyncDisposable
{
    private readonly MuxSession _client;
    private readonly MuxSession _server;
    private readonly Task _service;
    private readonly CancellationTokenSource _stop = new();

    private TunnelHarness(MuxSession client, MuxSession server, TargetPolicy policy, LocalProxyServer proxy)
    {
        _client = client;
        _server = server;
        Proxy = proxy;
        _service = TunnelStreamService.RunAsync(server, new TargetDialer(policy), _stop.Token);
    }

    public LocalProxyServer Proxy { get; }

    public static async Task<TunnelHarness> StartAsync(TargetPolicy policy, CancellationToken ct)
    {
        var (c, s) = await LoopbackPair.CreateAsync(ct);
        var key = SessionPrivateKey.Generate();
        var secret = ObfuscationSecret.Generate();
        Task<SecureTunnelStream?> accepting = new SecureTunnelServer(key, secret).AcceptAsync(s, ct);
        SecureTunnelStream clientChannel = await SecureTunnelStream.ConnectAsync(c, key.PublicKey, secret, cancellationToken: ct);
        SecureTunnelStream serverChannel = await accepting ?? throw new InvalidOperationException("handshake refused");
        MuxSession client = MuxSession.StartClient(clientChannel);
        MuxSession server = MuxSession.StartServer(serverChannel);
        LocalProxyServer proxy = LocalProxyServer.Start(
            new LocalProxyOptions(),
            async (target, token) => await client.OpenStreamAsync(target, token));
        return new TunnelHarness(client, server, policy, proxy);
    }

    public async ValueTask DisposeAsync()
    {
        await Proxy.DisposeAsync();
        await _stop.CancelAsync();
        await _client.DisposeAsync();
        await _server.DisposeAsync();
        try
        {
            await _service;
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
    }
}

/// <summary>Loopback TCP services for tunnel tests: an echo server and a one-page HTTP server.</summary>
internal sealed class LoopbackService : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly Task _loop;
    private readonly CancellationTokenSource _stop = new();

    private LoopbackService(Func<NetworkStream, CancellationToken, Task> serve)
    {
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        _loop = Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                TcpClient accepted;
                try
                {
                    accepted = await _listener.AcceptTcpClientAsync(_stop.Token);
                }
                catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
                {
                    return;
                }

                _ = Task.Run(async () =>
                {
                    using (accepted)
                    await using (NetworkStream stream = accepted.GetStream())
                    {
                        try
                        {
                            await serve(stream, _stop.Token);
                        }
                        catch (Exception e) when (e is IOException or OperationCanceledException)
                        {
                        }
                    }
                });
            }
        });
    }

    public IPEndPoint EndPoint => (IPEndPoint)_listener.LocalEndpoint;

    public static LoopbackService Echo() => new(async (s, ct) =>
    {
        await s.CopyToAsync(s, ct);
        s.Socket.Shutdown(SocketShutdown.Send);
    });

    /// <summary>Answers any request with <paramref name="body"/> and records the request head it saw.</summary>
    public static LoopbackService Http(string body, List<string> heads) => new(async (s, ct) =>
    {
        byte[] buffer = new byte[16384];
        int filled = 0;
        while (buffer.AsSpan(0, filled).IndexOf("\r\n\r\n"u8) < 0)
        {
            int n = await s.ReadAsync(buffer.AsMemory(filled), ct);
            if (n == 0)
            {
                return;
            }

            filled += n;
        }

        lock (heads)
        {
            heads.Add(Encoding.ASCII.GetString(buffer, 0, filled));
        }

        byte[] content = Encoding.UTF8.GetBytes(body);
        await s.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Length: {content.Length}\r\nConnection: close\r\n\r\n"), ct);
        await s.WriteAsync(content, ct);
    });

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _loop;
        _stop.Dispose();
    }
}
