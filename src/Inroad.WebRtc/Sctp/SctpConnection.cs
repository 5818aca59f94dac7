using Inroad.WebRtc.Transport;

namespace Inroad.WebRtc.Sctp;

/// <summary>
/// The thin driver of an <see cref="SctpAssociation"/> over an <see cref="IDatagramTransport"/>: one
/// receive loop, one timer on the <see cref="TimeProvider"/>, and an async gate that serialises every
/// call into the association (guarded by <c>_gate</c>: the association, the send buffer).
/// </summary>
internal sealed class SctpConnection : IAsyncDisposable, IDatagramReceiver
{
    private const int BatchPackets = 64;
    private readonly IDatagramTransport _transport;
    private readonly TimeProvider _time;
    private readonly long _start;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly byte[] _sendBuffer;
    private readonly CancellationTokenSource _stop = new();
    private readonly ITimer _timer;
    private TimeSpan _timerDue = TimeSpan.MaxValue; // guarded by _gate
    private Task? _receiveLoop;
    private int _disposed;
    private readonly IDatagramBatchTransport? _batch;
    private readonly byte[] _batchBuffer = [];
    private readonly int[] _batchLengths = new int[BatchPackets];
    private int _batchCount; // packets written to _batchBuffer and not yet sent; guarded by the gate
    private int _batchOffset; // guarded by the gate
    private int _gateHolder; // managed thread ID that took the gate for a pushed batch, 0 when none

    public SctpConnection(IDatagramTransport transport, SctpOptions options, ISctpAssociationHandler handler, TimeProvider? timeProvider = null)
    {
        options.Validate();
        if (transport.MaxDatagramSize < options.Mtu)
        {
            throw new ArgumentException($"Transport datagrams ({transport.MaxDatagramSize}) are smaller than the SCTP MTU ({options.Mtu}).", nameof(transport));
        }

        _transport = transport;
        _time = timeProvider ?? TimeProvider.System;
        _start = _time.GetTimestamp();
        _sendBuffer = new byte[options.Mtu];
        if (transport is IDatagramBatchTransport batch)
        {
            _batch = batch;
            _batchBuffer = new byte[BatchPackets * options.Mtu];
        }
        Association = new SctpAssociation(options, handler);
        _timer = _time.CreateTimer(static s => ((SctpConnection)s!).OnTimer(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>The engine; touch it only inside <see cref="RunAsync"/> or from handler callbacks.</summary>
    public SctpAssociation Association { get; }

    private TimeSpan Now => _time.GetElapsedTime(_start);

    /// <summary>Starts the receive loop and sends INIT.</summary>
    public Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (_batch is null || !_batch.TryAttachReceiver(this))
        {
            _receiveLoop = Task.Run(ReceiveLoopAsync, CancellationToken.None);
        }

        return RunAsync(static (a, now) => a.Connect(now), cancellationToken);
    }

    /// <summary>Runs <paramref name="action"/> on the association under the gate, then sends what it produced.</summary>
    public async Task RunAsync(Action<SctpAssociation, TimeSpan> action, CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            action(Association, Now);
            await FlushLockedAsync().ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>As <see cref="RunAsync"/>, with a state argument so hot callers need not allocate a closure.</summary>
    public async Task RunAsync<TState>(Action<SctpAssociation, TimeSpan, TState> action, TState state, CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            action(Association, Now, state);
            await FlushLockedAsync().ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>A packet pushed by the transport on its thread: the gate is taken once for the whole burst.</summary>
    public void OnDatagram(Span<byte> datagram)
    {
        if (_disposed != 0)
        {
            return;
        }

        int me = Environment.CurrentManagedThreadId;
        if (Volatile.Read(ref _gateHolder) != me)
        {
            try
            {
                _gate.Wait(_stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            Volatile.Write(ref _gateHolder, me);
        }

        TimeSpan now = Now;
        Association.HandlePacket(datagram, now);

        // A SACK per second DATA packet, as RFC 9260 §6.2 asks, even inside a burst: a peer's slow start grows by
        // at most one MTU per SACK, so one SACK per receive burst (up to 64 packets) stalls its window. The SACKs
        // are only written here; the whole burst still goes out in one batch at OnBatchEnd.
        if (Association.SackNeeded)
        {
            AppendDueLocked(now);
        }
    }

    /// <summary>The transport below ended: the association ends with it.</summary>
    public void OnClosed() => _ = EndFromBelowAsync();

    private async Task EndFromBelowAsync()
    {
        try
        {
            await RunAsync(static (a, _) => a.TransportClosed(), _stop.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
        {
            // Disposed meanwhile: nothing is left to end.
        }
    }

    /// <summary>The burst is over: send what it produced (SACKs, window updates, data the SACKs released) and let go of the gate.</summary>
    public void OnBatchEnd()
    {
        if (Volatile.Read(ref _gateHolder) != Environment.CurrentManagedThreadId)
        {
            return;
        }

        try
        {
            FlushBatchLocked();
        }
        finally
        {
            Volatile.Write(ref _gateHolder, 0);
            _gate.Release();
        }
    }

    /// <summary>Writes every due packet into one buffer and hands them over in batches of up to 64 (DTLS seals them, ICE sends a run per call).</summary>
    private void FlushBatchLocked()
    {
        TimeSpan now = Now;
        AppendDueLocked(now);
        if (_batchCount > 0)
        {
            SendPendingLocked();
        }

        UpdateTimer(now);
    }

    /// <summary>Appends every due packet to the pending batch, sending it whenever it is full.</summary>
    private void AppendDueLocked(TimeSpan now)
    {
        int mtu = _sendBuffer.Length;
        while (Association.TryWritePacket(_batchBuffer.AsSpan(_batchOffset, mtu), now, out int length))
        {
            _batchLengths[_batchCount++] = length;
            _batchOffset += length;
            if (_batchCount == BatchPackets || _batchOffset + mtu > _batchBuffer.Length)
            {
                SendPendingLocked();
            }
        }
    }

    private void SendPendingLocked()
    {
        try
        {
            _batch!.SendBatch(_batchBuffer.AsSpan(0, _batchOffset), _batchLengths.AsSpan(0, _batchCount));
        }
        catch (Exception e) when (e is ObjectDisposedException or OperationCanceledException or IOException or System.Net.Sockets.SocketException or Dtls.DtlsException or InvalidOperationException)
        {
            // The path is gone; the association times out or is closed by its owner.
        }
        finally
        {
            _batchCount = 0;
            _batchOffset = 0;
        }
    }

    private async Task FlushLockedAsync()
    {
        if (_batch is not null)
        {
            FlushBatchLocked();
            return;
        }

        TimeSpan now = Now;
        while (Association.TryWritePacket(_sendBuffer, now, out int length))
        {
            try
            {
                await _transport.SendAsync(_sendBuffer.AsMemory(0, length)).ConfigureAwait(false);
            }
            catch (Exception e) when (e is ObjectDisposedException or OperationCanceledException or IOException or System.Net.Sockets.SocketException)
            {
                // The path is gone; the association times out or is closed by its owner.
                break;
            }
        }

        UpdateTimer(now);
    }

    private void UpdateTimer(TimeSpan now)
    {
        TimeSpan due = Association.NextDeadline;
        if (due != _timerDue)
        {
            _timerDue = due;
            if (due == TimeSpan.MaxValue)
            {
                _timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            }
            else
            {
                TimeSpan wait = due - now;
                _timer.Change(wait < TimeSpan.Zero ? TimeSpan.Zero : wait, Timeout.InfiniteTimeSpan);
            }
        }
    }

    private void OnTimer() => _ = OnTimerAsync();

    private async Task OnTimerAsync()
    {
        try
        {
            await _gate.WaitAsync(_stop.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        try
        {
            _timerDue = TimeSpan.MaxValue;
            Association.HandleTimeout(Now);
            await FlushLockedAsync().ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task ReceiveLoopAsync()
    {
        byte[] buffer = new byte[65536];
        CancellationToken token = _stop.Token;
        while (!token.IsCancellationRequested)
        {
            int length;
            try
            {
                length = await _transport.ReceiveAsync(buffer, token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is ObjectDisposedException or OperationCanceledException or IOException or System.Net.Sockets.SocketException)
            {
                if (!token.IsCancellationRequested)
                {
                    await EndFromBelowAsync().ConfigureAwait(false);
                }

                return;
            }

            try
            {
                await _gate.WaitAsync(token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            try
            {
                Association.HandlePacket(buffer.AsSpan(0, length), Now);
                await FlushLockedAsync().ConfigureAwait(false);
            }
            finally
            {
                _gate.Release();
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        await _timer.DisposeAsync().ConfigureAwait(false);
        if (_receiveLoop is not null)
        {
            try
            {
                await _receiveLoop.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }

    }
}
