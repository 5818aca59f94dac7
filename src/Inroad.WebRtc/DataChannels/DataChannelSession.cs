using System.Threading.Channels;
using Inroad.WebRtc.Sctp;
using Inroad.WebRtc.Transport;

namespace Inroad.WebRtc.DataChannels;

/// <summary>
/// The data channels of one SCTP association over one datagram transport (what DTLS hands up). A peer
/// connection owns one: it passes the DTLS role and the peer's max-message-size from the SDP, starts it
/// once DTLS is up, and opens or accepts channels. All association work runs through the
/// <see cref="SctpConnection"/> gate; the channel table is touched only there (guarded by the gate).
/// </summary>
internal sealed class DataChannelSession : ISctpAssociationHandler, IAsyncDisposable
{
    private readonly DataChannelSessionOptions _options;
    private readonly SctpConnection _connection;
    private readonly Dictionary<ushort, DataChannel> _channels = []; // guarded by the connection's gate
    private readonly Channel<DataChannel> _accepted;
    private readonly TaskCompletionSource _established = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<(SctpError Error, string? Reason)> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _nextId;
    private bool _lastSendAccepted; // guarded by the gate; result of the TrySend call that just ran

    public DataChannelSession(IDatagramTransport transport, DataChannelSessionOptions options, TimeProvider? timeProvider = null)
    {
        options.Validate();
        _options = options;
        _nextId = options.IsDtlsClient ? 0 : 1;
        _accepted = Channel.CreateBounded<DataChannel>(new BoundedChannelOptions(options.AcceptBacklog) { FullMode = BoundedChannelFullMode.Wait });
        _connection = new SctpConnection(transport, options.Sctp, this, timeProvider);
        MaxSendMessageSize = Math.Min(options.MaxMessageSize, options.RemoteMaxMessageSize);
    }

    /// <summary>Largest message a channel may send: ours and the peer's max-message-size, whichever is smaller.</summary>
    public int MaxSendMessageSize { get; }

    internal int StreamMessageSize => Math.Min(_options.StreamMessageSize, MaxSendMessageSize);

    /// <summary>Largest message we accept (what our SDP advertises).</summary>
    internal int MaxReceiveMessageSize => _options.MaxMessageSize;

    /// <summary>Completes when the association ends, with why.</summary>
    public Task<(SctpError Error, string? Reason)> Completion => _closed.Task;

    internal SctpConnection Connection => _connection;

    /// <summary>Sends INIT and waits until the association is established (both peers do this at once).</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        await _connection.StartAsync(cancellationToken).ConfigureAwait(false);
        Task done = await Task.WhenAny(_established.Task, _closed.Task).WaitAsync(cancellationToken).ConfigureAwait(false);
        if (done != _established.Task)
        {
            throw new DataChannelException($"SCTP association failed: {_closed.Task.Result.Reason ?? _closed.Task.Result.Error.ToString()}");
        }
    }

    /// <summary>Opens a channel: sends DATA_CHANNEL_OPEN and returns at once (data may follow before the ACK).</summary>
    public async Task<DataChannel> OpenChannelAsync(DataChannelOptions options, CancellationToken cancellationToken = default)
    {
        options.Validate();
        DcepOpen open = options.ToOpenMessage();
        byte[] message = new byte[open.Length];
        open.TryWrite(message, out _);
        DataChannel? channel = null;
        await _connection.RunAsync(
            (a, now) =>
            {
                if (a.State != SctpState.Established)
                {
                    return;
                }

                ushort id = AllocateId();
                channel = new DataChannel(this, id, open, acknowledged: false, Prepare(a, id), _options.BufferedAmountResumeMark);
                _channels[id] = channel;
                a.Send(id, DataChannelPpid.Dcep, message, default, now);
            },
            cancellationToken).ConfigureAwait(false);
        return channel ?? throw new DataChannelException("The SCTP association is not established.");
    }

    /// <summary>Waits for the peer to open a channel. Throws <see cref="DataChannelException"/> once the association is gone.</summary>
    public async ValueTask<DataChannel> AcceptChannelAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            return await _accepted.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException e)
        {
            throw new DataChannelException("The SCTP association has closed.", e);
        }
    }

    /// <summary>Ends the association the way a browser's <c>pc.close()</c> does: ABORT "Close called".</summary>
    public Task CloseAsync() => _connection.RunAsync(static (a, _) => a.Abort("Close called"));

    /// <summary>Graceful SHUTDOWN once all queued data is acknowledged.</summary>
    public Task ShutdownAsync() => _connection.RunAsync(static (a, now) => a.Shutdown(now));

    /// <summary>A copy of the association's counters, with RTT and congestion window.</summary>
    public async Task<(SctpStatistics Counters, TimeSpan SmoothedRtt, int CongestionWindow)> GetStatisticsAsync()
    {
        (SctpStatistics, TimeSpan, int) result = default;
        await _connection.RunAsync((a, _) =>
        {
            SctpStatistics s = a.Statistics;
            result = (new SctpStatistics
            {
                PacketsSent = s.PacketsSent,
                PacketsReceived = s.PacketsReceived,
                PacketsDropped = s.PacketsDropped,
                DataChunksSent = s.DataChunksSent,
                DataChunksReceived = s.DataChunksReceived,
                Retransmissions = s.Retransmissions,
                FastRetransmits = s.FastRetransmits,
                T3Expirations = s.T3Expirations,
                AbandonedMessages = s.AbandonedMessages,
                MessagesDelivered = s.MessagesDelivered,
                BytesDelivered = s.BytesDelivered,
                DuplicateChunksReceived = s.DuplicateChunksReceived,
                UnknownChunks = s.UnknownChunks,
                SacksSent = s.SacksSent,
                DataPacketsReceived = s.DataPacketsReceived,
            }, a.SmoothedRtt, a.CongestionWindow);
        }).ConfigureAwait(false);
        return result;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_closed.Task.IsCompleted)
        {
            await CloseAsync().ConfigureAwait(false);
        }

        await _connection.DisposeAsync().ConfigureAwait(false);
    }

    internal async ValueTask<bool> TrySendAsync(DataChannel channel, uint ppid, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        bool accepted = false;
        await _connection.RunAsync(
            static (a, now, s) =>
            {
                (DataChannelSession self, DataChannel channel, uint ppid, ReadOnlyMemory<byte> payload) = s;
                self._lastSendAccepted = false;
                if (channel.State != DataChannelState.Open || a.State != SctpState.Established)
                {
                    self._lastSendAccepted = true; // the caller rechecks the state and throws
                    return;
                }

                long buffered = a.GetBufferedAmount(channel.Id);
                if (buffered > 0 && buffered + payload.Length > self._options.BufferedAmountHighWaterMark)
                {
                    return;
                }

                a.Send(channel.Id, ppid, payload.Span, channel.SendOptions, now);
                self._lastSendAccepted = true;
            },
            (this, channel, ppid, payload),
            cancellationToken).ConfigureAwait(false);
        accepted = _lastSendAccepted;
        return accepted;
    }

    internal Task ReleaseReceivedAsync(int bytes) =>
        _connection.RunAsync(static (a, _, n) => a.ReleaseReceived(n), bytes);

    internal Task CloseChannelAsync(DataChannel channel) =>
        _connection.RunAsync(
            static (a, now, s) =>
            {
                if (s.channel.BeginReset())
                {
                    ushort id = s.channel.Id;
                    a.ResetStreams([id], now);
                }
            },
            (channel, 0));

    private SctpAssociation.OutStream Prepare(SctpAssociation a, ushort id)
    {
        SctpAssociation.OutStream counters = a.GetOutStream(id);
        counters.ResumeMark = _options.BufferedAmountResumeMark;
        return counters;
    }

    private ushort AllocateId()
    {
        for (int tries = 0; tries < 32768; tries++)
        {
            int id = _nextId;
            _nextId += 2;
            if (_nextId > 65534)
            {
                _nextId = _options.IsDtlsClient ? 0 : 1;
            }

            if (!_channels.ContainsKey((ushort)id))
            {
                return (ushort)id;
            }
        }

        throw new DataChannelException("No free stream id.");
    }

    // ---- ISctpAssociationHandler: on the association's loop ----

    void ISctpAssociationHandler.OnEstablished(SctpAssociation association)
    {
        association.MaxMessageSize = MaxSendMessageSize;
        _established.TrySetResult();
    }

    void ISctpAssociationHandler.OnMessage(SctpAssociation association, ushort stream, uint ppid, ReadOnlySpan<byte> data)
    {
        _channels.TryGetValue(stream, out DataChannel? channel);
        if (ppid == DataChannelPpid.Dcep)
        {
            association.ReleaseReceived(data.Length);
            if (DcepOpen.TryRead(data, out DcepOpen open))
            {
                if (channel is null)
                {
                    AcceptOpen(association, stream, open);
                }
            }
            else if (DcepOpen.IsAck(data) && channel is not null)
            {
                channel.Acknowledged = true;
            }

            return;
        }

        if (channel is null || channel.State == DataChannelState.Closed)
        {
            association.ReleaseReceived(data.Length); // no channel to hold it
            return;
        }

        channel.Acknowledged = true; // RFC 8832 §6: any message from the peer implies the ACK
        channel.OnMessage(ppid, data);
    }

    private void AcceptOpen(SctpAssociation association, ushort stream, DcepOpen open)
    {
        var channel = new DataChannel(this, stream, open, acknowledged: true, Prepare(association, stream), _options.BufferedAmountResumeMark);
        if (!_accepted.Writer.TryWrite(channel))
        {
            association.ResetStreams([stream], TimeSpan.Zero);
            return;
        }

        _channels[stream] = channel;
        association.Send(stream, DataChannelPpid.Dcep, [DcepOpen.MessageTypeAck], default, TimeSpan.Zero);
    }

    void ISctpAssociationHandler.OnIncomingStreamsReset(SctpAssociation association, ReadOnlySpan<ushort> streams)
    {
        foreach (ushort id in streams)
        {
            if (!_channels.TryGetValue(id, out DataChannel? channel))
            {
                continue;
            }

            channel.OnIncomingReset();
            if (channel.BeginReset())
            {
                association.ResetStreams([id], TimeSpan.Zero);
            }
            else if (channel.IsFullyReset)
            {
                channel.SetClosed();
                _channels.Remove(id);
            }
        }
    }

    void ISctpAssociationHandler.OnOutgoingStreamsReset(SctpAssociation association, ReadOnlySpan<ushort> streams)
    {
        foreach (ushort id in streams)
        {
            if (_channels.TryGetValue(id, out DataChannel? channel) && channel.OnOutgoingReset())
            {
                _channels.Remove(id);
            }
        }
    }

    void ISctpAssociationHandler.OnBufferedAmountLow(SctpAssociation association, ushort stream)
    {
        if (_channels.TryGetValue(stream, out DataChannel? channel))
        {
            channel.OnBufferedAmountLow();
        }
    }

    void ISctpAssociationHandler.OnClosed(SctpAssociation association, SctpError error, string? reason)
    {
        foreach (DataChannel channel in _channels.Values)
        {
            channel.SetClosed();
        }

        _channels.Clear();
        _accepted.Writer.TryComplete();
        _closed.TrySetResult((error, reason));
    }
}
