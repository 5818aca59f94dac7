using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Inroad.WebRtc.Stun;

/// <summary>
/// STUN client transactions over UDP (RFC 8489 §6.2.1): sends a request, retransmits it on the RTO schedule of
/// <see cref="StunClientOptions"/>, and matches responses by transaction ID (not by source address: RFC 5780
/// answers to CHANGE-REQUEST come from another address). It does not own a socket: either feed it datagrams with
/// <see cref="TryHandleDatagram"/> (when the socket is shared), or use <see cref="ForSocket"/>, which runs a
/// receive loop on a socket the caller keeps owning.
/// </summary>
internal sealed partial class StunClient : IAsyncDisposable
{
    private readonly StunSendCallback _send;
    private readonly StunClientOptions _options;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<StunTransactionId, Pending> _pending = new();
    private readonly CancellationTokenSource _closed = new();
    private Task? _receiveLoop;

    public StunClient(StunSendCallback send, StunClientOptions? options = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(send);
        options ??= new StunClientOptions();
        options.Validate();
        _send = send;
        _options = options;
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>Datagrams the receive loop of <see cref="ForSocket"/> read that answer no pending transaction.</summary>
    public event Action<ReadOnlyMemory<byte>, IPEndPoint>? UnmatchedDatagram;

    /// <summary>
    /// A client that sends on <paramref name="socket"/> and reads it in a background loop until disposed.
    /// The socket stays the caller's (it is not closed on dispose).
    /// </summary>
    public static StunClient ForSocket(Socket socket, StunClientOptions? options = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(socket);
        var client = new StunClient(
            async (datagram, destination, ct) => await socket.SendToAsync(datagram, SocketFlags.None, destination, ct).ConfigureAwait(false),
            options,
            logger);
        client._receiveLoop = client.ReceiveLoopAsync(socket);
        return client;
    }

    /// <summary>Sends a Binding request and waits for its response (success or error).</summary>
    public Task<StunResponse> BindAsync(IPEndPoint server, CancellationToken cancellationToken = default) =>
        SendRequestAsync(server, StunMethod.Binding, null, cancellationToken);

    /// <summary>Binding request with CHANGE-REQUEST (RFC 5780 §4.4 tests II and III).</summary>
    public Task<StunResponse> BindAsync(IPEndPoint server, bool changeIp, bool changePort, CancellationToken cancellationToken = default) =>
        SendRequestAsync(
            server,
            StunMethod.Binding,
            (ref StunMessageWriter w) => w.AddChangeRequest(changeIp, changePort),
            cancellationToken);

    /// <summary>
    /// Runs one request transaction. Throws <see cref="StunException"/> (<see cref="StunError.Timeout"/>) when no
    /// answer comes, <see cref="OperationCanceledException"/> when <paramref name="cancellationToken"/> fires.
    /// </summary>
    public async Task<StunResponse> SendRequestAsync(IPEndPoint server, ushort method, StunAttributeWriter? attributes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(server);
        ObjectDisposedException.ThrowIf(_closed.IsCancellationRequested, this);
        StunTransactionId id = StunTransactionId.NewRandom();
        byte[] request = BuildRequest(method, id, attributes);
        var pending = new Pending();
        _pending[id] = pending;
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _closed.Token);
        TimeProvider time = _options.TimeProvider;
        try
        {
            for (int send = 0; send < _options.MaxSends; send++)
            {
                pending.SentAt = time.GetTimestamp();
                pending.Sends = send + 1;
                try
                {
                    await _send(request, server, linked.Token).ConfigureAwait(false);
                }
                catch (SocketException ex)
                {
                    throw new StunException(StunError.SendFailed, $"Sending a STUN request to {server} failed: {ex.SocketErrorCode}.", ex);
                }

                try
                {
                    return await pending.Completion.Task.WaitAsync(_options.WaitAfterSend(send), time, linked.Token).ConfigureAwait(false);
                }
                catch (TimeoutException)
                {
                    LogRetransmit(_logger, id.ToString(), send + 1);
                }
            }
        }
        catch (OperationCanceledException) when (_closed.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new StunException(StunError.Closed, "The STUN client was closed.");
        }
        finally
        {
            _pending.TryRemove(id, out _);
        }

        throw new StunException(StunError.Timeout, $"No STUN response from {server} after {_options.MaxSends} sends.");
    }

    /// <summary>
    /// Offers a received datagram. True when it was a response to a pending transaction (and is consumed).
    /// Never throws on bad input.
    /// </summary>
    public bool TryHandleDatagram(ReadOnlySpan<byte> datagram, IPEndPoint from)
    {
        if (!StunMessage.LooksLikeStun(datagram) || !StunMessage.TryRead(datagram, out StunMessage? message))
        {
            return false;
        }

        if (message.Class is not (StunClass.SuccessResponse or StunClass.ErrorResponse)
            || !_pending.TryGetValue(message.TransactionId, out Pending? pending))
        {
            return false;
        }

        if (message.HasAttribute(StunAttributeType.Fingerprint) && !message.HasValidFingerprint())
        {
            return false;
        }

        TimeSpan rtt = _options.TimeProvider.GetElapsedTime(pending.SentAt);
        return pending.Completion.TrySetResult(new StunResponse(message, from, rtt, pending.Sends));
    }

    public async ValueTask DisposeAsync()
    {
        if (_closed.IsCancellationRequested)
        {
            return;
        }

        await _closed.CancelAsync().ConfigureAwait(false);
        if (_receiveLoop is not null)
        {
            await _receiveLoop.ConfigureAwait(false);
        }

        _closed.Dispose();
    }

    private byte[] BuildRequest(ushort method, StunTransactionId id, StunAttributeWriter? attributes)
    {
        Span<byte> buffer = stackalloc byte[1280];
        var writer = new StunMessageWriter(buffer, StunClass.Request, method, id);
        if (_options.Software is { } software)
        {
            writer.AddString(StunAttributeType.Software, software);
        }

        attributes?.Invoke(ref writer);
        if (_options.UseFingerprint)
        {
            writer.AddFingerprint();
        }

        if (!writer.TryComplete(out int written))
        {
            throw new ArgumentException("The STUN request does not fit in 1280 bytes.", nameof(attributes));
        }

        return buffer[..written].ToArray();
    }

    private async Task ReceiveLoopAsync(Socket socket)
    {
        byte[] buffer = new byte[2048];
        var address = new SocketAddress(socket.AddressFamily);
        var template = new IPEndPoint(socket.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
        while (!_closed.IsCancellationRequested)
        {
            int n;
            try
            {
                n = await socket.ReceiveFromAsync(buffer, SocketFlags.None, address, _closed.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (SocketException ex) when (ex.SocketErrorCode is SocketError.ConnectionReset or SocketError.MessageSize)
            {
                continue; // ICMP unreachable from an earlier send, or an oversized datagram: not fatal for UDP.
            }
            catch (SocketException ex)
            {
                LogReceiveFailed(_logger, ex.SocketErrorCode);
                return;
            }

            var from = (IPEndPoint)template.Create(address);
            if (!TryHandleDatagram(buffer.AsSpan(0, n), from))
            {
                UnmatchedDatagram?.Invoke(buffer.AsMemory(0, n).ToArray(), from);
            }
        }
    }

    [LoggerMessage(EventId = 101, Level = LogLevel.Debug, Message = "STUN transaction {TransactionId}: no answer after send {Send}")]
    private static partial void LogRetransmit(ILogger logger, string transactionId, int send);

    [LoggerMessage(EventId = 102, Level = LogLevel.Warning, Message = "STUN client receive loop stopped: {Error}")]
    private static partial void LogReceiveFailed(ILogger logger, SocketError error);

    private sealed class Pending
    {
        public TaskCompletionSource<StunResponse> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public long SentAt { get; set; }

        public int Sends { get; set; }
    }
}
