using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Inroad.WebRtc.Stun;

/// <summary>A small UDP STUN binding server (one socket, one address) for <c>inroad demo</c> and tests.</summary>
internal sealed partial class StunServer : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly StunServerOptions _options;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private long _answered;
    private long _ignored;

    private StunServer(Socket socket, StunServerOptions options, ILogger logger)
    {
        _socket = socket;
        _options = options;
        _logger = logger;
        LocalEndPoint = (IPEndPoint)socket.LocalEndPoint!;
        _loop = Task.Run(LoopAsync);
    }

    public IPEndPoint LocalEndPoint { get; }

    /// <summary>Requests answered (success or error).</summary>
    public long Answered => Interlocked.Read(ref _answered);

    /// <summary>Datagrams dropped in silence.</summary>
    public long Ignored => Interlocked.Read(ref _ignored);

    /// <summary>Binds the socket and starts answering.</summary>
    public static StunServer Start(StunServerOptions? options = null, ILogger? logger = null)
    {
        options ??= new StunServerOptions();
        options.Validate();
        var socket = new Socket(options.ListenEndPoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            socket.Bind(options.ListenEndPoint);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        return new StunServer(socket, options, logger ?? NullLogger.Instance);
    }

    public async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        _socket.Dispose();
        await _loop.ConfigureAwait(false);
        _stop.Dispose();
    }

    private async Task LoopAsync()
    {
        byte[] request = new byte[2048];
        byte[] response = new byte[512];
        var address = new SocketAddress(_socket.AddressFamily);
        var template = new IPEndPoint(_socket.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                int n = await _socket.ReceiveFromAsync(request, SocketFlags.None, address, _stop.Token).ConfigureAwait(false);
                var from = (IPEndPoint)template.Create(address);
                int length = StunBindingResponder.Answer(request.AsSpan(0, n), from, LocalEndPoint, _options, response);
                if (length == 0)
                {
                    Interlocked.Increment(ref _ignored);
                    continue;
                }

                Interlocked.Increment(ref _answered);
                await _socket.SendToAsync(response.AsMemory(0, length), SocketFlags.None, address, _stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (SocketException ex)
            {
                if (_stop.IsCancellationRequested)
                {
                    return;
                }

                LogSocketError(_logger, ex.SocketErrorCode);
            }
        }
    }

    [LoggerMessage(EventId = 111, Level = LogLevel.Debug, Message = "STUN server socket error {Error}; continuing")]
    private static partial void LogSocketError(ILogger logger, SocketError error);
}
