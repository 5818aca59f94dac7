using System.Buffers;
using System.Threading.Channels;

namespace Inroad.Tunnel;

/// <summary>
/// One multiplexed stream. Reads and writes behave like a TCP socket's: reads return 0 once the peer
/// finished, <see cref="CompleteWritesAsync"/> half-closes, and a reset surfaces as
/// <see cref="TunnelStreamException"/>. One reader and one writer may use it concurrently.
/// </summary>
public sealed class MuxStream : Stream
{
    private readonly MuxSession _session;
    private readonly Channel<Segment> _received = Channel.CreateUnbounded<Segment>(new UnboundedChannelOptions { SingleReader = true });
    private readonly TaskCompletionSource _opened = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _creditLock = new();
    private TaskCompletionSource? _creditWaiter; // guarded by _creditLock
    private int _sendCredit; // guarded by _creditLock
    private int _receiveBudget; // bytes the peer may still send: spent by the read loop, granted by the reader (Interlocked)
    private int _consumedSinceUpdate; // reader side only
    private Segment _current;
    private volatile MuxResetReason _resetReason;
    private bool _writesCompleted;
    private bool _remoteFinished;
    private int _disposed;

    internal MuxStream(MuxSession session, uint id, string target)
    {
        _session = session;
        Id = id;
        Target = target;
        _sendCredit = session.Options.StreamWindow;
        _receiveBudget = session.Options.StreamWindow;
    }

    /// <summary>Stream ID within the session.</summary>
    public uint Id { get; }

    /// <summary>The "host:port" the client asked for.</summary>
    public string Target { get; }

    public override bool CanRead => true;

    public override bool CanWrite => true;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    /// <summary>Server side: tells the client its open succeeded.</summary>
    public ValueTask AcceptAsync(CancellationToken cancellationToken = default) =>
        _session.SendFrameAsync(MuxFrameType.OpenAccepted, Id, ReadOnlyMemory<byte>.Empty, cancellationToken);

    /// <summary>Server side: refuses the open with <paramref name="reason"/>.</summary>
    public async ValueTask RejectAsync(MuxResetReason reason)
    {
        _resetReason = reason;
        await _session.SendResetAsync(Id, reason).ConfigureAwait(false);
        _received.Writer.TryComplete();
    }

    /// <summary>Half-closes: the peer reads end-of-stream after the bytes already written.</summary>
    public async ValueTask CompleteWritesAsync(CancellationToken cancellationToken = default)
    {
        if (_writesCompleted || _resetReason != 0)
        {
            return;
        }

        _writesCompleted = true;
        await _session.SendFrameAsync(MuxFrameType.Finish, Id, ReadOnlyMemory<byte>.Empty, cancellationToken).ConfigureAwait(false);
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.IsEmpty)
        {
            return 0;
        }

        while (_current.Remaining == 0)
        {
            _current.Release();
            if (!_received.Reader.TryRead(out _current))
            {
                try
                {
                    _current = await _received.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (ChannelClosedException)
                {
                    _current = default;
                    ThrowIfReset();
                    return 0;
                }
            }
        }

        int n = _current.CopyTo(buffer.Span);
        _consumedSinceUpdate += n;
        if (_consumedSinceUpdate >= _session.Options.StreamWindow / 2 && !_remoteFinished)
        {
            int credit = _consumedSinceUpdate;
            _consumedSinceUpdate = 0;
            Interlocked.Add(ref _receiveBudget, credit);
            await _session.SendWindowUpdateAsync(Id, credit, cancellationToken).ConfigureAwait(false);
        }

        return n;
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        if (_writesCompleted)
        {
            throw new InvalidOperationException("Writes were completed.");
        }

        while (!buffer.IsEmpty)
        {
            ThrowIfReset();
            int n = await TakeCreditAsync(Math.Min(buffer.Length, _session.Options.MaxFramePayload), cancellationToken).ConfigureAwait(false);
            await _session.SendFrameAsync(MuxFrameType.Data, Id, buffer[..n], cancellationToken).ConfigureAwait(false);
            buffer = buffer[n..];
        }
    }

    public override int Read(byte[] buffer, int offset, int count) =>
        ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override void Write(byte[] buffer, int offset, int count) =>
        WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush()
    {
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        if (_resetReason == 0)
        {
            if (_remoteFinished)
            {
                // Both directions may end gracefully.
                try
                {
                    await CompleteWritesAsync().ConfigureAwait(false);
                }
                catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException)
                {
                }

                _session.Forget(Id);
            }
            else
            {
                // We stop reading while the peer may still send: a reset tells it to stop.
                await _session.SendResetAsync(Id, MuxResetReason.Closed).ConfigureAwait(false);
            }
        }

        _received.Writer.TryComplete();
        _current.Release();
        _current = default;
        while (_received.Reader.TryRead(out Segment leftover))
        {
            leftover.Release();
        }

        lock (_creditLock)
        {
            _creditWaiter?.TrySetResult();
        }

        await base.DisposeAsync().ConfigureAwait(false);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            DisposeAsync().AsTask().GetAwaiter().GetResult();
        }

        base.Dispose(disposing);
    }

    internal Task WaitOpenedAsync(CancellationToken cancellationToken) => _opened.Task.WaitAsync(cancellationToken);

    internal void OnOpenAccepted() => _opened.TrySetResult();

    /// <returns>False when the peer exceeded its window (a protocol error); the buffer then stays the caller's.</returns>
    internal bool OnData(byte[] rented, int length)
    {
        if (Interlocked.Add(ref _receiveBudget, -length) < 0 || _remoteFinished)
        {
            return false; // the caller still owns the buffer
        }

        if (!_received.Writer.TryWrite(new Segment(rented, length)))
        {
            ArrayPool<byte>.Shared.Return(rented); // reader is gone
        }

        return true;
    }

    internal void OnRemoteFinished()
    {
        _remoteFinished = true;
        _received.Writer.TryComplete();
    }

    internal void OnReset(MuxResetReason reason)
    {
        if (_resetReason == 0)
        {
            _resetReason = reason;
        }

        _opened.TrySetException(new TunnelStreamException(reason));
        _received.Writer.TryComplete();
        lock (_creditLock)
        {
            _creditWaiter?.TrySetResult();
        }
    }

    internal void OnWindowUpdate(int credit)
    {
        if (credit <= 0)
        {
            return;
        }

        lock (_creditLock)
        {
            _sendCredit = (int)Math.Min((long)_sendCredit + credit, int.MaxValue);
            _creditWaiter?.TrySetResult();
            _creditWaiter = null;
        }
    }

    private async ValueTask<int> TakeCreditAsync(int wanted, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task wait;
            lock (_creditLock)
            {
                ThrowIfReset();
                ObjectDisposedException.ThrowIf(_disposed != 0, this);
                if (_sendCredit > 0)
                {
                    int n = Math.Min(wanted, _sendCredit);
                    _sendCredit -= n;
                    return n;
                }

                _creditWaiter ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                wait = _creditWaiter.Task;
            }

            await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private void ThrowIfReset()
    {
        MuxResetReason reason = _resetReason;
        if (reason != 0)
        {
            throw new TunnelStreamException(reason);
        }
    }

    /// <summary>A rented buffer holding received bytes, consumed from the front.</summary>
    private struct Segment(byte[] buffer, int length)
    {
        private byte[]? _buffer = buffer;
        private int _offset;
        private readonly int _length = length;

        public readonly int Remaining => _buffer is null ? 0 : _length - _offset;

        public int CopyTo(Span<byte> destination)
        {
            int n = Math.Min(Remaining, destination.Length);
            _buffer.AsSpan(_offset, n).CopyTo(destination);
            _offset += n;
            return n;
        }

        public void Release()
        {
            if (_buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(_buffer);
                _buffer = null;
            }
        }
    }
}
