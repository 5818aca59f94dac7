using System.Buffers;
using Inroad.WebRtc.Sctp;

namespace Inroad.WebRtc.DataChannels;

/// <summary>
/// One WebRTC data channel: an SCTP stream pair opened with DCEP (RFC 8831, RFC 8832). Messages go out
/// with <see cref="SendAsync"/> (which blocks while <see cref="BufferedAmount"/> is above the high-water
/// mark) and come in with <see cref="ReceiveAsync"/>; a reliable channel also has a byte
/// <see cref="Stream"/> view (<see cref="AsStream"/>). Closing resets the outgoing stream (RFC 8831 §6.7).
/// </summary>
internal sealed class DataChannel : IAsyncDisposable
{
    private readonly DataChannelSession _session;
    private readonly SctpAssociation.OutStream _counters;
    private readonly Lock _lock = new();
    private readonly Queue<Inbound> _inbox = new(); // guarded by _lock
    private readonly SemaphoreSlim _available = new(0);
    private readonly SemaphoreSlim _resume = new(0);
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _endOfInput; // guarded by _lock
    private Inbound _current;
    private int _currentOffset;
    private bool _hasCurrent;
    private int _unreleased;
    private bool _incomingReset; // on the loop
    private bool _outgoingReset; // on the loop
    private bool _resetRequested; // on the loop
    private DataChannelStream? _stream;

    private readonly record struct Inbound(byte[] Buffer, int Length, bool IsString);

    internal DataChannel(DataChannelSession session, ushort id, DcepOpen open, bool acknowledged, SctpAssociation.OutStream counters, long lowThreshold)
    {
        _session = session;
        Id = id;
        Label = open.Label;
        Protocol = open.Protocol;
        Priority = open.Priority;
        Ordered = ((byte)open.ChannelType & 0x80) == 0;
        switch ((DataChannelType)((byte)open.ChannelType & 0x7F))
        {
            case DataChannelType.PartialReliableRexmit:
                MaxRetransmits = (int)Math.Min(open.ReliabilityParameter, int.MaxValue);
                break;
            case DataChannelType.PartialReliableTimed:
                MaxPacketLifeTime = TimeSpan.FromMilliseconds(open.ReliabilityParameter);
                break;
        }

        Acknowledged = acknowledged;
        _counters = counters;
        Volatile.Write(ref counters.LowThreshold, lowThreshold);
        State = DataChannelState.Open;
    }

    public ushort Id { get; }

    public string Label { get; }

    public string Protocol { get; }

    public ushort Priority { get; }

    public bool Ordered { get; }

    public int? MaxRetransmits { get; }

    public TimeSpan? MaxPacketLifeTime { get; }

    /// <summary>Reliable and ordered: the kind of channel that has a <see cref="Stream"/> view.</summary>
    public bool IsReliableOrdered => Ordered && MaxRetransmits is null && MaxPacketLifeTime is null;

    public DataChannelState State { get; private set; }

    /// <summary>Bytes handed to <see cref="SendAsync"/> that SCTP has not yet sent once.</summary>
    public long BufferedAmount => Volatile.Read(ref _counters.Buffered);

    /// <summary>When <see cref="BufferedAmount"/> falls to this, <see cref="BufferedAmountLow"/> fires. Defaults to 512 KiB.</summary>
    public long BufferedAmountLowThreshold
    {
        get => Volatile.Read(ref _counters.LowThreshold);
        set => Volatile.Write(ref _counters.LowThreshold, Math.Max(0, value));
    }

    /// <summary>Raised on the association's loop: handlers must be quick and must not block.</summary>
    public event EventHandler? BufferedAmountLow;

    /// <summary>Completes when the channel is closed (both directions reset, or the association ended).</summary>
    public Task Closed => _closed.Task;

    internal bool Acknowledged { get; set; }

    internal SctpSendOptions SendOptions => new()
    {
        // RFC 8832 §6: until the ACK arrives, send ordered so nothing overtakes the OPEN.
        Unordered = !Ordered && Acknowledged,
        MaxRetransmits = MaxRetransmits,
        Lifetime = MaxPacketLifeTime,
    };

    /// <summary>Sends one binary message, waiting while the send buffer is above its high-water mark.</summary>
    public ValueTask SendAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken = default) =>
        SendAsync(message, isString: false, cancellationToken);

    public ValueTask SendTextAsync(string text, CancellationToken cancellationToken = default) =>
        SendAsync(System.Text.Encoding.UTF8.GetBytes(text), isString: true, cancellationToken);

    public async ValueTask SendAsync(ReadOnlyMemory<byte> message, bool isString, CancellationToken cancellationToken = default)
    {
        if (message.Length > _session.MaxSendMessageSize)
        {
            throw new DataChannelException($"Message of {message.Length} bytes exceeds the limit of {_session.MaxSendMessageSize}.");
        }

        uint ppid = isString
            ? (message.IsEmpty ? DataChannelPpid.StringEmpty : DataChannelPpid.String)
            : (message.IsEmpty ? DataChannelPpid.BinaryEmpty : DataChannelPpid.Binary);
        ReadOnlyMemory<byte> payload = message.IsEmpty ? new byte[1] : message;
        while (true)
        {
            if (State != DataChannelState.Open)
            {
                throw new DataChannelException($"The channel is {State}.");
            }

            if (await _session.TrySendAsync(this, ppid, payload, cancellationToken).ConfigureAwait(false))
            {
                return;
            }

            await _resume.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Receives the next message into <paramref name="buffer"/>. A longer message is truncated (and says so).
    /// After the peer closes, returns <see cref="DataChannelMessage.EndOfChannel"/>.
    /// </summary>
    public async ValueTask<DataChannelMessage> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (!_hasCurrent && !await NextAsync(cancellationToken).ConfigureAwait(false))
        {
            return new DataChannelMessage(0, false, false, true);
        }

        int length = _current.Length - _currentOffset;
        int count = Math.Min(length, buffer.Length);
        _current.Buffer.AsSpan(_currentOffset, count).CopyTo(buffer.Span);
        var result = new DataChannelMessage(count, _current.IsString, count < length, false);
        await ConsumeCurrentAsync(length).ConfigureAwait(false);
        return result;
    }

    /// <summary>A byte stream over a reliable, ordered channel (message boundaries are not kept).</summary>
    public Stream AsStream()
    {
        if (!IsReliableOrdered)
        {
            throw new DataChannelException("Only a reliable, ordered channel has a Stream view; use SendAsync/ReceiveAsync.");
        }

        return _stream ??= new DataChannelStream(this, _session.StreamMessageSize);
    }

    /// <summary>
    /// A byte stream over a reliable, ordered channel with in-proxy traffic shaping (padding, decoys, then raw);
    /// <paramref name="role"/> picks the HKDF context of our choices. The peer must shape with the same parameters.
    /// </summary>
    public Stream AsShapedStream(DataChannelShaping shaping, Dtls.SignalingRole role)
    {
        if (!IsReliableOrdered)
        {
            throw new DataChannelException("Only a reliable, ordered channel has a Stream view; use SendAsync/ReceiveAsync.");
        }

        if (_stream is not null)
        {
            throw new InvalidOperationException("The channel already has an unshaped Stream view.");
        }

        return new ShapedDataChannelStream(this, shaping, role, _session.StreamMessageSize, _session.MaxReceiveMessageSize);
    }

    /// <summary>Byte-stream read used by <see cref="DataChannelStream"/>: carries the rest of a message over.</summary>
    internal async ValueTask<int> ReadBytesAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        if (buffer.IsEmpty)
        {
            return 0;
        }

        if (!_hasCurrent && !await NextAsync(cancellationToken).ConfigureAwait(false))
        {
            return 0;
        }

        int count = Math.Min(_current.Length - _currentOffset, buffer.Length);
        _current.Buffer.AsSpan(_currentOffset, count).CopyTo(buffer.Span);
        _currentOffset += count;
        if (_currentOffset == _current.Length)
        {
            await ConsumeCurrentAsync(count).ConfigureAwait(false);
        }
        else
        {
            _unreleased += count;
        }

        return count;
    }

    private async ValueTask<bool> NextAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            await _available.WaitAsync(cancellationToken).ConfigureAwait(false);
            lock (_lock)
            {
                if (_inbox.TryDequeue(out Inbound next))
                {
                    _current = next;
                    _currentOffset = 0;
                    _hasCurrent = true;
                    return true;
                }

                if (_endOfInput)
                {
                    _available.Release(); // every later reader sees the end too
                    return false;
                }
            }
        }
    }

    private async ValueTask ConsumeCurrentAsync(int bytes)
    {
        ArrayPool<byte>.Shared.Return(_current.Buffer);
        _hasCurrent = false;
        _current = default;
        _unreleased += bytes;
        bool empty;
        lock (_lock)
        {
            empty = _inbox.Count == 0;
        }

        // Give receive window back in batches (one trip to the association's loop per 64 KiB or when idle).
        if (_unreleased >= 64 * 1024 || empty)
        {
            int n = _unreleased;
            _unreleased = 0;
            await _session.ReleaseReceivedAsync(n).ConfigureAwait(false);
        }
    }

    /// <summary>Starts the closing procedure: reset our outgoing stream; the peer resets its own.</summary>
    public Task CloseAsync() => _session.CloseChannelAsync(this);

    public async ValueTask DisposeAsync()
    {
        if (State is DataChannelState.Open or DataChannelState.Connecting)
        {
            await CloseAsync().ConfigureAwait(false);
        }
    }

    // ---- called on the association's loop ----

    internal void OnMessage(uint ppid, ReadOnlySpan<byte> data)
    {
        bool isString = ppid is DataChannelPpid.String or DataChannelPpid.StringEmpty or 54;
        int length = ppid is DataChannelPpid.StringEmpty or DataChannelPpid.BinaryEmpty ? 0 : data.Length;
        byte[] copy = ArrayPool<byte>.Shared.Rent(Math.Max(length, 1));
        data[..length].CopyTo(copy);
        lock (_lock)
        {
            _inbox.Enqueue(new Inbound(copy, length, isString));
        }

        _available.Release();
    }

    internal void OnBufferedAmountLow()
    {
        _resume.Release();
        if (BufferedAmount <= BufferedAmountLowThreshold)
        {
            BufferedAmountLow?.Invoke(this, EventArgs.Empty);
        }
    }

    /// <summary>Marks a reset request as sent; false if one already was.</summary>
    internal bool BeginReset()
    {
        if (_resetRequested)
        {
            return false;
        }

        _resetRequested = true;
        if (State == DataChannelState.Open)
        {
            State = DataChannelState.Closing;
        }

        _resume.Release();
        return true;
    }

    internal void OnIncomingReset()
    {
        _incomingReset = true;
        lock (_lock)
        {
            _endOfInput = true;
        }

        _available.Release();
    }

    /// <summary>Our outgoing reset finished; true when the channel is now closed in both directions.</summary>
    internal bool OnOutgoingReset()
    {
        _outgoingReset = true;
        if (_incomingReset)
        {
            SetClosed();
            return true;
        }

        return false;
    }

    internal bool IsFullyReset => _incomingReset && _outgoingReset;

    internal void SetClosed()
    {
        State = DataChannelState.Closed;
        lock (_lock)
        {
            _endOfInput = true;
        }

        _available.Release();
        _resume.Release();
        _closed.TrySetResult();
    }
}
