using Inroad.Protocol;
using Inroad.Sessions;
using Microsoft.Extensions.Logging;

namespace Inroad.Broker.Reports;

/// <summary>
/// One connection's report on its way to the tunnel server, and the transport its session packets take: each packet
/// the sessions layer sends is handed to the client (in ClientOfferResponse, then in ClientRelayedPacketResponse),
/// and the server's answer comes back in the client's next ClientRelayedPacketRequest. The last packet of the
/// one-way report is complete once handed over; if the server later answers it with a reset token (it lost the
/// session), the report is sent again over a fresh handshake through the same client.
/// </summary>
internal sealed class PendingServerReport : IRoundTripper
{
    private readonly Lock _lock = new();
    private readonly SemaphoreSlim _gate = new(1, 1); // one client request at a time
    private readonly byte[] _report;
    private readonly TimeSpan _stepTimeout;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private TaskCompletionSource<byte[]?> _outgoing = NewOutgoing(); // the next packet for the server, null ⇒ none; guarded by _lock
    private TaskCompletionSource<ReadOnlyMemory<byte>>? _reply; // set while the sessions layer awaits the server; guarded by _lock
    private byte[]? _lastSent; // guarded by _lock
    private bool _delivered; // the report's last packet is out; guarded by _lock
    private volatile Task _sending = Task.CompletedTask;
    private int _relayed;

    public PendingServerReport(Id32 connectionId, ResponderIdentity server, byte[] report, TimeSpan stepTimeout, TimeProvider time, ILogger logger)
    {
        ConnectionId = connectionId;
        Server = server;
        _report = report;
        _stepTimeout = stepTimeout;
        _time = time;
        _logger = logger;
    }

    public Id32 ConnectionId { get; }

    public ResponderIdentity Server { get; }

    /// <summary>Starts (or restarts) sending the report; completes with its first packet, or null when sending failed at once.</summary>
    public Task<byte[]?> StartAsync(InitiatorSessions sessions)
    {
        TaskCompletionSource<byte[]?> outgoing;
        lock (_lock)
        {
            outgoing = _outgoing = NewOutgoing();
            _reply = null;
            _delivered = false;
        }

        _sending = SendAsync(sessions);
        return outgoing.Task;
    }

    /// <summary>
    /// Takes what the client brought back from the server and returns the next packet for it, or null when the relay
    /// is finished (the report was delivered and this is no valid reset), failed, or the client asks too often.
    /// </summary>
    public async Task<byte[]?> ContinueAsync(InitiatorSessions sessions, ReadOnlyMemory<byte> packetFromServer, int maxRoundTrips, CancellationToken cancellationToken)
    {
        if (!await _gate.WaitAsync(0, cancellationToken).ConfigureAwait(false))
        {
            return null; // a second request for the same connection while one is in flight: not an honest client
        }

        try
        {
            int n = Interlocked.Increment(ref _relayed);
            if (n > maxRoundTrips)
            {
                ServerReportLog.TooManyRoundTrips(_logger, ConnectionId.ToHex(), n - 1);
                return null;
            }

            Task<byte[]?> next;
            byte[]? delivered = null;
            lock (_lock)
            {
                if (_reply is { } reply && !_sending.IsCompleted)
                {
                    _outgoing = NewOutgoing();
                    _reply = null;
                    next = _outgoing.Task;
                    reply.TrySetResult(packetFromServer.ToArray());
                }
                else if (_delivered && _lastSent is not null)
                {
                    delivered = _lastSent;
                    next = Task.FromResult<byte[]?>(null);
                }
                else
                {
                    return null;
                }
            }

            if (delivered is not null)
            {
                await _sending.ConfigureAwait(false); // finishing at once: the packet was handed over
                if (!sessions.AcceptLateReset(Server, packetFromServer.Span, delivered))
                {
                    return null;
                }

                ServerReportLog.ServerReset(_logger, ConnectionId.ToHex());
                next = StartAsync(sessions);
            }

            return await next.WaitAsync(_stepTimeout, _time, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            return null;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>A handshake packet: the client carries it to the server and brings the answer back.</summary>
    public async ValueTask<ReadOnlyMemory<byte>> RoundTripAsync(ReadOnlyMemory<byte> packet, TimeSpan delay, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var reply = new TaskCompletionSource<ReadOnlyMemory<byte>>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lock)
        {
            _lastSent = packet.ToArray();
            _reply = reply;
            _outgoing.TrySetResult(_lastSent);
        }

        return await reply.Task.WaitAsync(timeout, _time, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The report's last packet: done once the client has it. It is only recorded here and handed to the client when
    /// <see cref="InitiatorSessions.SendOneWayAsync"/> returns, that is after the sessions layer marked a fresh session
    /// established: a client that already holds message 3 may be matched again at once, and that match must find the
    /// session (no second handshake, the report in the offer response).
    /// </summary>
    public ValueTask<ReadOnlyMemory<byte>> DeliverOneWayAsync(ReadOnlyMemory<byte> packet, TimeSpan delay, TimeSpan timeout, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            _lastSent = packet.ToArray();
            _delivered = true;
        }

        return ValueTask.FromResult(ReadOnlyMemory<byte>.Empty);
    }

    private async Task SendAsync(InitiatorSessions sessions)
    {
        try
        {
            // Each relay step is bounded by the step timeout, so no lifetime token is needed.
            await sessions.SendOneWayAsync(this, Server, _report, TimeSpan.Zero, _stepTimeout, CancellationToken.None).ConfigureAwait(false);
            lock (_lock)
            {
                if (_delivered)
                {
                    _outgoing.TrySetResult(_lastSent);
                }
            }
        }
        catch (SessionException e)
        {
            ServerReportLog.RelayFailed(_logger, ConnectionId.ToHex(), e.Error.ToString());
        }
        finally
        {
            lock (_lock)
            {
                _outgoing.TrySetResult(null);
            }
        }
    }

    private static TaskCompletionSource<byte[]?> NewOutgoing() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
