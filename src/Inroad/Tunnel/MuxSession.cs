using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Text;
using System.Threading.Channels;

namespace Inroad.Tunnel;

/// <summary>
/// Multiplexes many TCP-like streams over one reliable byte stream (the tunnel's secure channel, itself
/// carried by a WebRTC data channel). Only the client opens streams; the server accepts or rejects each.
/// Per-stream credit-based flow control keeps one stalled stream from blocking the others or from
/// holding more than <see cref="MuxOptions.StreamWindow"/> bytes of memory.
/// </summary>
public sealed class MuxSession : IAsyncDisposable
{
    private readonly Stream _transport;
    private readonly bool _isClient;
    private readonly MuxOptions _options;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly ConcurrentDictionary<uint, MuxStream> _streams = new();
    private readonly Channel<MuxStream> _incoming;
    private readonly CancellationTokenSource _closing = new();
    private readonly Task _readLoop;
    private uint _nextStreamId = 1; // client side only; odd, so a stray server-side open is recognisable
    private int _disposed;

    private MuxSession(Stream transport, bool isClient, MuxOptions options)
    {
        _transport = transport;
        _isClient = isClient;
        _options = options;
        _incoming = Channel.CreateBounded<MuxStream>(new BoundedChannelOptions(options.AcceptBacklog)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = false,
        });
        _readLoop = Task.Run(ReadLoopAsync);
    }

    internal MuxOptions Options => _options;

    /// <summary>Completes when the transport ended or the session was disposed.</summary>
    public Task Completion => _readLoop;

    /// <summary>Why the transport ended, when it failed rather than closed (for logs).</summary>
    public Exception? EndError { get; private set; }

    /// <summary>Streams currently open.</summary>
    public int StreamCount => _streams.Count;

    /// <summary>Starts the opening side of a session over <paramref name="transport"/>.</summary>
    public static MuxSession StartClient(Stream transport, MuxOptions? options = null) => Start(transport, true, options);

    /// <summary>Starts the accepting side of a session over <paramref name="transport"/>.</summary>
    public static MuxSession StartServer(Stream transport, MuxOptions? options = null) => Start(transport, false, options);

    private static MuxSession Start(Stream transport, bool isClient, MuxOptions? options)
    {
        ArgumentNullException.ThrowIfNull(transport);
        options ??= new MuxOptions();
        options.Validate();
        return new MuxSession(transport, isClient, options);
    }

    /// <summary>
    /// Opens a stream to <paramref name="target"/> ("host:port", resolved by the server) and waits for the
    /// server's verdict. Throws <see cref="TunnelStreamException"/> with the server's reason when refused.
    /// </summary>
    public async Task<MuxStream> OpenStreamAsync(string target, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(target);
        if (!_isClient)
        {
            throw new InvalidOperationException("Only the client side opens streams.");
        }

        int targetBytes = Encoding.UTF8.GetByteCount(target);
        if (targetBytes > 1024)
        {
            throw new ArgumentException("Target is longer than 1024 bytes.", nameof(target));
        }

        ObjectDisposedException.ThrowIf(_closing.IsCancellationRequested, this);
        uint id = Interlocked.Add(ref _nextStreamId, 2) - 2;
        var stream = new MuxStream(this, id, target);
        _streams[id] = stream;
        byte[] payload = ArrayPool<byte>.Shared.Rent(targetBytes);
        try
        {
            int written = Encoding.UTF8.GetBytes(target, payload);
            await SendFrameAsync(MuxFrameType.Open, id, payload.AsMemory(0, written), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(payload);
        }

        try
        {
            await stream.WaitOpenedAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            _streams.TryRemove(id, out _);
            throw;
        }

        return stream;
    }

    /// <summary>
    /// Waits for the client's next open. The caller then calls <see cref="MuxStream.AcceptAsync"/> or
    /// <see cref="MuxStream.RejectAsync"/>. Returns null when the session ended.
    /// </summary>
    public async Task<MuxStream?> AcceptStreamAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            return await _incoming.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            return null;
        }
    }

    internal async ValueTask SendFrameAsync(MuxFrameType type, uint streamId, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        int length = MuxFrameHeader.Size + payload.Length;
        byte[] buffer = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            // One write per frame: over a data channel each write may become one message.
            new MuxFrameHeader(type, streamId, payload.Length).Write(buffer);
            payload.Span.CopyTo(buffer.AsSpan(MuxFrameHeader.Size));
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _closing.Token);
            await _writeLock.WaitAsync(linked.Token).ConfigureAwait(false);
            try
            {
                await _transport.WriteAsync(buffer.AsMemory(0, length), linked.Token).ConfigureAwait(false);
                await _transport.FlushAsync(linked.Token).ConfigureAwait(false);
            }
            finally
            {
                _writeLock.Release();
            }
        }
        catch (OperationCanceledException) when (_closing.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new TunnelStreamException(MuxResetReason.Closed);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    internal async ValueTask SendResetAsync(uint streamId, MuxResetReason reason)
    {
        _streams.TryRemove(streamId, out _);
        byte[] payload = [(byte)reason];
        try
        {
            await SendFrameAsync(MuxFrameType.Reset, streamId, payload, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException)
        {
            // The session is going away; the peer learns of the reset from that.
        }
    }

    internal ValueTask SendWindowUpdateAsync(uint streamId, int credit, CancellationToken cancellationToken)
    {
        byte[] payload = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(payload, credit);
        return SendFrameAsync(MuxFrameType.WindowUpdate, streamId, payload, cancellationToken);
    }

    internal void Forget(uint streamId) => _streams.TryRemove(streamId, out _);

    private async Task ReadLoopAsync()
    {
        byte[] header = new byte[MuxFrameHeader.Size];
        try
        {
            while (!_closing.IsCancellationRequested)
            {
                try
                {
                    await _transport.ReadExactlyAsync(header, _closing.Token).ConfigureAwait(false);
                }
                catch (EndOfStreamException)
                {
                    return;
                }

                if (!MuxFrameHeader.TryRead(header, out MuxFrameHeader frame))
                {
                    return; // garbage: the session cannot resynchronise
                }

                byte[] payload = ArrayPool<byte>.Shared.Rent(Math.Max(frame.Length, 1));
                bool handedOver = false;
                try
                {
                    await _transport.ReadExactlyAsync(payload.AsMemory(0, frame.Length), _closing.Token).ConfigureAwait(false);
                    handedOver = await DispatchAsync(frame, payload).ConfigureAwait(false);
                }
                finally
                {
                    if (!handedOver)
                    {
                        ArrayPool<byte>.Shared.Return(payload);
                    }
                }
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException or EndOfStreamException)
        {
            // Transport gone.
            EndError = e;
        }
        finally
        {
            _incoming.Writer.TryComplete();
            foreach (MuxStream stream in _streams.Values)
            {
                stream.OnReset(MuxResetReason.Closed);
            }

            _streams.Clear();
        }
    }

    /// <returns>True when the payload buffer now belongs to a stream.</returns>
    private async ValueTask<bool> DispatchAsync(MuxFrameHeader frame, byte[] payload)
    {
        ReadOnlySpan<byte> body = payload.AsSpan(0, frame.Length);
        switch (frame.Type)
        {
            case MuxFrameType.Open:
                await OnOpenAsync(frame.StreamId, body.ToArray()).ConfigureAwait(false);
                return false;
            case MuxFrameType.OpenAccepted:
                if (_streams.TryGetValue(frame.StreamId, out MuxStream? opened))
                {
                    opened.OnOpenAccepted();
                }

                return false;
            case MuxFrameType.Data:
                if (_streams.TryGetValue(frame.StreamId, out MuxStream? target))
                {
                    if (!target.OnData(payload, frame.Length))
                    {
                        target.OnReset(MuxResetReason.ProtocolError);
                        await SendResetAsync(frame.StreamId, MuxResetReason.ProtocolError).ConfigureAwait(false);
                        return false;
                    }

                    return true;
                }

                return false;
            case MuxFrameType.Finish:
                if (_streams.TryGetValue(frame.StreamId, out MuxStream? finished))
                {
                    finished.OnRemoteFinished();
                }

                return false;
            case MuxFrameType.Reset:
                if (_streams.TryRemove(frame.StreamId, out MuxStream? reset))
                {
                    reset.OnReset(body.Length == 1 ? (MuxResetReason)body[0] : MuxResetReason.Failure);
                }

                return false;
            case MuxFrameType.WindowUpdate:
                if (body.Length == 4 && _streams.TryGetValue(frame.StreamId, out MuxStream? credited))
                {
                    credited.OnWindowUpdate(BinaryPrimitives.ReadInt32BigEndian(body));
                }

                return false;
            default:
                return false;
        }
    }

    private async ValueTask OnOpenAsync(uint streamId, byte[] targetBytes)
    {
        if (_isClient || (streamId & 1) == 0 || _streams.ContainsKey(streamId))
        {
            await SendResetAsync(streamId, MuxResetReason.ProtocolError).ConfigureAwait(false);
            return;
        }

        string target;
        try
        {
            target = new UTF8Encoding(false, true).GetString(targetBytes);
        }
        catch (DecoderFallbackException)
        {
            await SendResetAsync(streamId, MuxResetReason.ProtocolError).ConfigureAwait(false);
            return;
        }

        var stream = new MuxStream(this, streamId, target);
        if (_streams.Count >= _options.MaxStreams || !_streams.TryAdd(streamId, stream) || !_incoming.Writer.TryWrite(stream))
        {
            _streams.TryRemove(streamId, out _);
            await SendResetAsync(streamId, MuxResetReason.Failure).ConfigureAwait(false);
        }
    }

    /// <summary>Closes the transport; every open stream is reset.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _closing.CancelAsync().ConfigureAwait(false);
        await _transport.DisposeAsync().ConfigureAwait(false);
        try
        {
            await _readLoop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        // _closing and _writeLock stay undisposed: streams may still race a send against the close,
        // and neither holds an OS handle once cancelled.
    }
}
