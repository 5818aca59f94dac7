namespace Inroad.WebRtc.DataChannels;

/// <summary>
/// A <see cref="Stream"/> over a reliable, ordered <see cref="DataChannel"/>: writes are cut into messages
/// of at most the configured size (zero-byte writes send nothing); reads carry a partly read message
/// over to the next call and return 0 once the peer has closed the channel.
/// </summary>
internal class DataChannelStream : Stream
{
    private readonly DataChannel _channel;
    private readonly int _messageSize;

    public DataChannelStream(DataChannel channel, int messageSize)
    {
        _channel = channel;
        _messageSize = messageSize;
    }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (!buffer.IsEmpty)
        {
            int n = Math.Min(buffer.Length, _messageSize);
            await SendMessageAsync(_channel, buffer[..n], cancellationToken).ConfigureAwait(false);
            buffer = buffer[n..];
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        _channel.ReadBytesAsync(buffer, cancellationToken);

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override void Flush()
    {
    }

    /// <summary>Sends one binary message; a channel that closed under the writer is an <see cref="IOException"/>, as a Stream's callers expect.</summary>
    protected static async ValueTask SendMessageAsync(DataChannel channel, ReadOnlyMemory<byte> message, CancellationToken cancellationToken)
    {
        try
        {
            await channel.SendAsync(message, isString: false, cancellationToken).ConfigureAwait(false);
        }
        catch (DataChannelException e)
        {
            throw new IOException(e.Message, e);
        }
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override async ValueTask DisposeAsync()
    {
        await _channel.CloseAsync().ConfigureAwait(false);
        await base.DisposeAsync().ConfigureAwait(false);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _ = _channel.CloseAsync();
        }

        base.Dispose(disposing);
    }
}
