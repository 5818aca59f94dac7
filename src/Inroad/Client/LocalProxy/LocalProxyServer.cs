using System.Net;
using System.Net.Sockets;
using System.Text;
using Inroad.Tunnel;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Inroad.Client.LocalProxy;

/// <summary>
/// The user-facing side of the client: SOCKS5 and HTTP proxy listeners on loopback. Each accepted
/// connection becomes one tunnel stream; host names travel to the tunnel server unresolved so no DNS
/// query leaves the user's machine.
/// </summary>
public sealed partial class LocalProxyServer : IAsyncDisposable
{
    private readonly LocalProxyOptions _options;
    private readonly TunnelStreamOpener _open;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private readonly SemaphoreSlim _slots;
    private readonly List<Task> _acceptLoops = [];
    private readonly List<Socket> _listeners = [];

    private LocalProxyServer(LocalProxyOptions options, TunnelStreamOpener open, ILogger logger)
    {
        _options = options;
        _open = open;
        _logger = logger;
        _slots = new SemaphoreSlim(options.MaxConnections);
    }

    /// <summary>Bound SOCKS5 endpoint, or null when disabled.</summary>
    public IPEndPoint? SocksEndPoint { get; private set; }

    /// <summary>Bound HTTP proxy endpoint, or null when disabled.</summary>
    public IPEndPoint? HttpEndPoint { get; private set; }

    /// <summary>Connections being served now.</summary>
    public int ActiveConnections => _options.MaxConnections - _slots.CurrentCount;

    /// <summary>Binds the listeners and starts serving.</summary>
    public static LocalProxyServer Start(LocalProxyOptions options, TunnelStreamOpener open, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(open);
        options.Validate();
        var server = new LocalProxyServer(options, open, logger ?? NullLogger.Instance);
        try
        {
            if (options.SocksEndPoint is { } socks)
            {
                server.SocksEndPoint = server.Listen(socks, server.ServeSocksAsync);
            }

            if (options.HttpEndPoint is { } http)
            {
                server.HttpEndPoint = server.Listen(http, server.ServeHttpAsync);
            }
        }
        catch
        {
            server.DisposeAsync().AsTask().GetAwaiter().GetResult();
            throw;
        }

        return server;
    }

    private IPEndPoint Listen(IPEndPoint endPoint, Func<NetworkStream, CancellationToken, Task> serve)
    {
        var listener = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        _listeners.Add(listener);
        listener.Bind(endPoint);
        listener.Listen(512);
        _acceptLoops.Add(Task.Run(() => AcceptLoopAsync(listener, serve)));
        return (IPEndPoint)listener.LocalEndPoint!;
    }

    private async Task AcceptLoopAsync(Socket listener, Func<NetworkStream, CancellationToken, Task> serve)
    {
        CancellationToken stopping = _stopping.Token;
        while (!stopping.IsCancellationRequested)
        {
            Socket connection;
            try
            {
                await _slots.WaitAsync(stopping).ConfigureAwait(false);
                connection = await listener.AcceptAsync(stopping).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            connection.NoDelay = true;
            _ = Task.Run(async () =>
            {
                var stream = new NetworkStream(connection, ownsSocket: true);
                try
                {
                    await serve(stream, stopping).ConfigureAwait(false);
                }
                catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException or EndOfStreamException)
                {
                    LogConnectionEnded(_logger, e.GetType().Name);
                }
                finally
                {
                    await stream.DisposeAsync().ConfigureAwait(false);
                    _slots.Release();
                }
            }, CancellationToken.None);
        }
    }

    private async Task ServeSocksAsync(NetworkStream client, CancellationToken cancellationToken)
    {
        string? target = await WithHandshakeTimeoutAsync(t => Socks5Handshake.ReadRequestAsync(client, t), cancellationToken).ConfigureAwait(false);

        if (target is null)
        {
            return;
        }

        (Stream? tunnel, MuxResetReason failure) = await OpenAsync(target, cancellationToken).ConfigureAwait(false);
        if (tunnel is null)
        {
            await Socks5Handshake.ReplyAsync(client, Socks5Handshake.ReplyCodeFor(failure), cancellationToken).ConfigureAwait(false);
            return;
        }

        await using (tunnel.ConfigureAwait(false))
        {
            await Socks5Handshake.ReplyAsync(client, Socks5Handshake.Succeeded, cancellationToken).ConfigureAwait(false);
            await StreamRelay.RunAsync(client, tunnel, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task ServeHttpAsync(NetworkStream client, CancellationToken cancellationToken)
    {
        HttpProxyRequest? request = await WithHandshakeTimeoutAsync(t => HttpProxyRequest.ReadAsync(client, t), cancellationToken).ConfigureAwait(false);

        if (request is null)
        {
            await WriteStatusAsync(client, "400 Bad Request", cancellationToken).ConfigureAwait(false);
            return;
        }

        (Stream? tunnel, MuxResetReason failure) = await OpenAsync(request.Target, cancellationToken).ConfigureAwait(false);
        if (tunnel is null)
        {
            string status = failure == MuxResetReason.NotAllowed ? "403 Forbidden" : "502 Bad Gateway";
            await WriteStatusAsync(client, status, cancellationToken).ConfigureAwait(false);
            return;
        }

        await using (tunnel.ConfigureAwait(false))
        {
            if (request.IsConnect)
            {
                await client.WriteAsync("HTTP/1.1 200 Connection Established\r\n\r\n"u8.ToArray(), cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await tunnel.WriteAsync(request.ForwardHead, cancellationToken).ConfigureAwait(false);
            }

            if (!request.BufferedBody.IsEmpty)
            {
                await tunnel.WriteAsync(request.BufferedBody, cancellationToken).ConfigureAwait(false);
            }

            await StreamRelay.RunAsync(client, tunnel, cancellationToken).ConfigureAwait(false);
        }
    }

    private async ValueTask<T> WithHandshakeTimeoutAsync<T>(Func<CancellationToken, ValueTask<T>> read, CancellationToken cancellationToken)
    {
        using var handshake = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        handshake.CancelAfter(_options.HandshakeTimeout);
        return await read(handshake.Token).ConfigureAwait(false);
    }

    /// <returns>The tunnel stream, or null and the reason the tunnel refused it.</returns>
    private async ValueTask<(Stream? Stream, MuxResetReason Failure)> OpenAsync(string target, CancellationToken cancellationToken)
    {
        MuxResetReason failure;
        try
        {
            return (await _open(target, cancellationToken).ConfigureAwait(false), 0);
        }
        catch (TunnelStreamException e)
        {
            failure = e.Reason;
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException or InvalidOperationException)
        {
            failure = MuxResetReason.Failure;
        }

        LogOpenFailed(_logger, failure);
        return (null, failure);
    }

    private static Task WriteStatusAsync(Stream client, string status, CancellationToken cancellationToken) =>
        client.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"), cancellationToken).AsTask();

    /// <summary>Stops listening and ends every connection.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_stopping.IsCancellationRequested)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        foreach (Socket listener in _listeners)
        {
            listener.Dispose();
        }

        await Task.WhenAll(_acceptLoops).ConfigureAwait(false);
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Debug, Message = "Local proxy connection ended: {Reason}")]
    private static partial void LogConnectionEnded(ILogger logger, string reason);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "Tunnel refused a stream: {Reason}")]
    private static partial void LogOpenFailed(ILogger logger, MuxResetReason reason);
}
