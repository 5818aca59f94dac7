using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using Inroad.WebRtc.Dtls;

namespace Inroad.WebRtc.DataChannels;

/// <summary>
/// A <see cref="Stream"/> over a reliable, ordered <see cref="DataChannel"/> with in-proxy traffic shaping
/// (design §6.5). While shaping, every message is <c>zigzag-varint paddingLength ‖ padding ‖ payload</c>:
/// the first padded-message-count writes carry random padding, later ones a 0 header while decoys remain,
/// and then one message with a −1 header after which both the writer and the peer's reader go raw. Decoys
/// (header and padding, no payload) answer reads with the configured probability while decoys remain and
/// nothing is buffered. Counts and sizes come from a PRNG seeded from the root secret and our signaling
/// role, so a dial replays. The reader expects the peer to shape the same way until it sees −1.
/// </summary>
internal sealed class ShapedDataChannelStream : DataChannelStream
{
    private readonly DataChannel _channel;
    private readonly DataChannelShapingParameters _parameters;
    private readonly int _messageSize;
    private readonly int _maxReceiveSize;
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly SeededRandom _random; // guarded by _sendLock
    private int _paddedLeft; // guarded by _sendLock
    private int _decoysLeft; // guarded by _sendLock
    private volatile bool _sendHeaders = true; // written under _sendLock; once false never true again
    private bool _peerHeaders = true; // the single reader's
    private byte[]? _inbox; // the single reader's: the current shaped message, rented while it holds data
    private int _inboxOffset;
    private int _inboxEnd;
    private long _paddedSent;
    private long _paddedReceived;
    private long _decoysSent;
    private long _decoysReceived;

    public ShapedDataChannelStream(DataChannel channel, DataChannelShaping shaping, SignalingRole role, int messageSize, int maxReceiveSize)
        : base(channel, messageSize)
    {
        ArgumentNullException.ThrowIfNull(shaping);
        shaping.Validate();
        _channel = channel;
        _parameters = shaping.Parameters;
        _messageSize = messageSize;
        _maxReceiveSize = maxReceiveSize;
        _random = new SeededRandom(DeriveSeed(shaping.RootSecret.Span, role));
        _paddedLeft = _random.Next(_parameters.MinPaddedMessages, _parameters.MaxPaddedMessages + 1);
        _decoysLeft = _random.Next(_parameters.MinDecoyMessages, _parameters.MaxDecoyMessages + 1);
    }

    /// <summary>Messages we sent with padding.</summary>
    public long PaddedMessagesSent => Interlocked.Read(ref _paddedSent);

    /// <summary>Messages from the peer that carried padding and payload.</summary>
    public long PaddedMessagesReceived => Interlocked.Read(ref _paddedReceived);

    /// <summary>Decoys we sent.</summary>
    public long DecoyMessagesSent => Interlocked.Read(ref _decoysSent);

    /// <summary>Decoys from the peer.</summary>
    public long DecoyMessagesReceived => Interlocked.Read(ref _decoysReceived);

    /// <summary>True until we have sent the −1 header.</summary>
    public bool IsShapingWrites => _sendHeaders;

    /// <summary>True until the peer's −1 header has been read.</summary>
    public bool IsShapingReads => _peerHeaders;

    /// <summary>The 32-byte PRNG seed of one side: HKDF-Expand-SHA256(root secret, "in-proxy-traffic-shaping-offer|answer").</summary>
    internal static byte[] DeriveSeed(ReadOnlySpan<byte> rootSecret, SignalingRole role)
    {
        byte[] seed = new byte[32];
        string context = role == SignalingRole.Offerer ? "in-proxy-traffic-shaping-offer" : "in-proxy-traffic-shaping-answer";
        HKDF.Expand(HashAlgorithmName.SHA256, rootSecret, seed, Encoding.ASCII.GetBytes(context));
        return seed;
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (!_sendHeaders)
        {
            await base.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
            return;
        }

        await _sendLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            while (!buffer.IsEmpty)
            {
                if (!_sendHeaders)
                {
                    await base.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
                    return;
                }

                int padding = 0;
                bool padded = false;
                if (_paddedLeft > 0)
                {
                    _paddedLeft--;
                    padded = true;
                    padding = _random.Next(_parameters.MinPaddingSize, _parameters.MaxPaddingSize + 1);
                }

                // Padding shrinks to leave room for at least one payload byte (messages are at most _messageSize).
                padding = Math.Min(padding, _messageSize - ShapingHeader.MaxLength - 1);
                long header = padded || _decoysLeft > 0 ? padding : ShapingHeader.EndOfHeaders;
                int chunk = Math.Min(buffer.Length, _messageSize - ShapingHeader.GetLength(header) - padding);
                await SendShapedAsync(header, padding, buffer[..chunk], cancellationToken).ConfigureAwait(false);
                buffer = buffer[chunk..];
                if (padded)
                {
                    Interlocked.Increment(ref _paddedSent);
                }

                if (header == ShapingHeader.EndOfHeaders)
                {
                    _sendHeaders = false;
                }
            }
        }
        finally
        {
            _sendLock.Release();
        }
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.IsEmpty)
        {
            return 0;
        }

        while (true)
        {
            if (_inboxEnd > _inboxOffset)
            {
                int n = Math.Min(buffer.Length, _inboxEnd - _inboxOffset);
                _inbox.AsSpan(_inboxOffset, n).CopyTo(buffer.Span);
                _inboxOffset += n;
                if (_inboxOffset == _inboxEnd && !_peerHeaders)
                {
                    ReleaseInbox();
                }

                return n;
            }

            if (!_peerHeaders)
            {
                ReleaseInbox();
                return await base.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            }

            _inbox ??= ArrayPool<byte>.Shared.Rent(_maxReceiveSize);
            _inboxOffset = _inboxEnd = 0;
            DataChannelMessage message = await _channel.ReceiveAsync(_inbox, cancellationToken).ConfigureAwait(false);
            if (message.EndOfChannel)
            {
                return 0;
            }

            if (message.Truncated
                || !ShapingHeader.TryRead(_inbox.AsSpan(0, message.Count), out long header, out int consumed)
                || header < ShapingHeader.EndOfHeaders
                || header > message.Count - consumed)
            {
                throw new IOException("The peer sent a malformed traffic-shaping header.");
            }

            if (header == ShapingHeader.EndOfHeaders)
            {
                _peerHeaders = false;
                _inboxOffset = consumed;
            }
            else
            {
                _inboxOffset = consumed + (int)header;
                if (_inboxOffset == message.Count)
                {
                    Interlocked.Increment(ref _decoysReceived);
                }
                else if (header > 0)
                {
                    Interlocked.Increment(ref _paddedReceived);
                }
            }

            _inboxEnd = message.Count;
            await MaybeSendDecoyAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    // A decoy answers a read only while headers are on, decoys remain, nothing waits in the send buffer and no
    // write holds the lock (a decoy must never follow our −1 header, or the peer would read it as payload).
    private async ValueTask MaybeSendDecoyAsync(CancellationToken cancellationToken)
    {
        if (!_sendHeaders || _channel.BufferedAmount != 0 || !_sendLock.Wait(0))
        {
            return;
        }

        try
        {
            if (!_sendHeaders || _decoysLeft == 0 || _random.NextDouble() >= _parameters.DecoyMessageProbability)
            {
                return;
            }

            int size = Math.Min(_random.Next(_parameters.MinDecoySize, _parameters.MaxDecoySize + 1), _messageSize - ShapingHeader.MaxLength);
            _decoysLeft--;
            await SendShapedAsync(size, size, ReadOnlyMemory<byte>.Empty, cancellationToken).ConfigureAwait(false);
            Interlocked.Increment(ref _decoysSent);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    private async ValueTask SendShapedAsync(long header, int padding, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        int headerLength = ShapingHeader.GetLength(header);
        int length = headerLength + padding + payload.Length;
        byte[] message = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            _ = ShapingHeader.TryWrite(message, header, out _);
            RandomNumberGenerator.Fill(message.AsSpan(headerLength, padding));
            payload.Span.CopyTo(message.AsSpan(headerLength + padding));
            await SendMessageAsync(_channel, message.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(message);
        }
    }

    private void ReleaseInbox()
    {
        if (_inbox is not null)
        {
            ArrayPool<byte>.Shared.Return(_inbox);
            _inbox = null;
        }

        _inboxOffset = _inboxEnd = 0;
    }
}
