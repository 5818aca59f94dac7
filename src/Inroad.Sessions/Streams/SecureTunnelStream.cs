using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using Inroad.Sessions.Keys;
using Inroad.Sessions.Noise;
using Inroad.Sessions.Obfuscation;

namespace Inroad.Sessions.Streams;

/// <summary>
/// The tunnel's secure channel between a client and a tunnel server, over any reliable byte stream (a
/// WebRTC data channel relayed by a proxy). The client knows the server's static key and obfuscation
/// secret from its signed server entry; it sends a fresh 32-byte salt and then only sealed frames, so the
/// stream is random-looking from the first byte and the proxy in between reads nothing.
/// <code>
/// client → server   salt[32] ‖ frame_obf(Noise_NK msg 1 ‖ timestamp)      obfuscation keys = HKDF(secret, salt)
/// server → client   frame_obf(Noise_NK msg 2)
/// both ways         frame_noise(data) …                                    Noise transport keys
/// </code>
/// Frames are described in <see cref="SecureTunnelFraming"/>. One reader and one writer may work at once.
/// </summary>
public sealed class SecureTunnelStream : Stream
{
    internal const int SaltLength = 32;

    internal static readonly NoiseProtocol Protocol = NoiseProtocol.Parse("Noise_NK_25519_ChaChaPoly_BLAKE2b");

    private static readonly byte[] PrologueLabel = "inroad-secure-tunnel-v1"u8.ToArray();
    private static readonly byte[] ClientToServerInfo = "inroad-secure-tunnel-obfuscation-c2s"u8.ToArray();
    private static readonly byte[] ServerToClientInfo = "inroad-secure-tunnel-obfuscation-s2c"u8.ToArray();

    private readonly Stream _transport;
    private readonly CipherState _send;
    private readonly CipherState _receive;
    private readonly SecureTunnelOptions _options;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly byte[] _plain = new byte[SecureTunnelFraming.MaxBody + CipherState.TagLength];
    private readonly byte[] _sealed = new byte[SecureTunnelFraming.MaxBody + CipherState.TagLength];
    private int _plainOffset;
    private int _plainLength;
    private int _paddedFramesLeft;
    private bool _receivedEnd;
    private int _disposed;

    private SecureTunnelStream(Stream transport, CipherState send, CipherState receive, SecureTunnelOptions options, byte[] handshakeHash)
    {
        _transport = transport;
        _send = send;
        _receive = receive;
        _options = options;
        _paddedFramesLeft = options.PaddedFrames;
        HandshakeHash = handshakeHash;
    }

    /// <summary>The Noise handshake hash: unique per tunnel, for channel binding.</summary>
    public ReadOnlyMemory<byte> HandshakeHash { get; }

    public override bool CanRead => true;

    public override bool CanWrite => true;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    /// <summary>
    /// Runs the client side of the handshake over <paramref name="transport"/> (which the result then owns).
    /// Throws <see cref="SessionException"/> with <see cref="SessionError.HandshakeFailed"/> when the server's
    /// answer does not authenticate or does not come in time.
    /// </summary>
    public static async Task<SecureTunnelStream> ConnectAsync(
        Stream transport,
        SessionPublicKey serverKey,
        ObfuscationSecret serverSecret,
        SecureTunnelOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transport);
        ArgumentNullException.ThrowIfNull(serverKey);
        ArgumentNullException.ThrowIfNull(serverSecret);
        options ??= new SecureTunnelOptions();
        options.Validate();

        byte[] salt = RandomNumberGenerator.GetBytes(SaltLength);
        using CipherState obfuscateOut = DeriveObfuscationCipher(serverSecret, salt, ClientToServerInfo);
        using CipherState obfuscateIn = DeriveObfuscationCipher(serverSecret, salt, ServerToClientInfo);
        using var handshake = new HandshakeState(Protocol, initiator: true, Prologue(salt), default, serverKey.X25519);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.HandshakeTimeout);

        try
        {
            Span<byte> timestamp = stackalloc byte[8];
            BinaryPrimitives.WriteInt64BigEndian(timestamp, options.TimeProvider.GetUtcNow().ToUnixTimeSeconds());
            byte[] message = new byte[256];
            int messageLength = handshake.WriteMessage(timestamp, message);
            int padding = RandomPadding(options.MaxPadding);
            byte[] first = new byte[SaltLength + SecureTunnelFraming.FrameLength(messageLength, padding)];
            salt.CopyTo(first, 0);
            SecureTunnelFraming.Seal(obfuscateOut, message.AsSpan(0, messageLength), padding, first.AsSpan(SaltLength), new byte[messageLength + padding]);
            await transport.WriteAsync(first, timeout.Token).ConfigureAwait(false);
            await transport.FlushAsync(timeout.Token).ConfigureAwait(false);

            byte[]? reply = await ReadHandshakeFrameAsync(transport, obfuscateIn, timeout.Token).ConfigureAwait(false);
            if (reply is null || handshake.ReadMessage(reply, new byte[reply.Length]) < 0 || !handshake.IsCompleted)
            {
                throw new SessionException(SessionError.HandshakeFailed, "The tunnel server's handshake answer did not authenticate.");
            }
        }
        catch (Exception e) when (e is IOException or EndOfStreamException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            throw new SessionException(SessionError.HandshakeFailed, "The tunnel handshake did not complete.", e);
        }

        (CipherState send, CipherState receive) = handshake.Split();
        return new SecureTunnelStream(transport, send, receive, options, handshake.HandshakeHash.ToArray());
    }

    /// <summary>Server side; see <see cref="SecureTunnelServer.AcceptAsync"/>.</summary>
    internal static async Task<SecureTunnelStream?> AcceptAsync(
        Stream transport,
        SessionPrivateKey serverKey,
        ObfuscationSecret serverSecret,
        ReplayHistory replays,
        SecureTunnelOptions options,
        CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.HandshakeTimeout);
        byte[] salt = new byte[SaltLength];
        HandshakeState? handshake = null;
        try
        {
            await transport.ReadExactlyAsync(salt, timeout.Token).ConfigureAwait(false);
            using CipherState obfuscateIn = DeriveObfuscationCipher(serverSecret, salt, ClientToServerInfo);
            using CipherState obfuscateOut = DeriveObfuscationCipher(serverSecret, salt, ServerToClientInfo);
            handshake = new HandshakeState(Protocol, initiator: false, Prologue(salt), serverKey.X25519, default);

            byte[]? message = await ReadHandshakeFrameAsync(transport, obfuscateIn, timeout.Token).ConfigureAwait(false);
            byte[] payload = new byte[Math.Max(message?.Length ?? 0, 1)];
            int payloadLength = message is null ? -1 : handshake.ReadMessage(message, payload);

            // Every check runs before any verdict, and every failure takes the same path.
            bool fresh = payloadLength == 8 && IsFresh(payload.AsSpan(0, 8), options);
            bool replayed = payloadLength >= 0 && !replays.TryAdd(salt);
            if (payloadLength < 0 || !fresh || replayed)
            {
                await HoldProbeAsync(transport, options, cancellationToken).ConfigureAwait(false);
                return null;
            }

            byte[] reply = new byte[256];
            int replyLength = handshake.WriteMessage(default, reply);
            int padding = RandomPadding(options.MaxPadding);
            byte[] frame = new byte[SecureTunnelFraming.FrameLength(replyLength, padding)];
            SecureTunnelFraming.Seal(obfuscateOut, reply.AsSpan(0, replyLength), padding, frame, new byte[replyLength + padding]);
            await transport.WriteAsync(frame, timeout.Token).ConfigureAwait(false);
            await transport.FlushAsync(timeout.Token).ConfigureAwait(false);

            (CipherState c2s, CipherState s2c) = handshake.Split();
            return new SecureTunnelStream(transport, s2c, c2s, options, handshake.HandshakeHash.ToArray());
        }
        catch (Exception e) when (e is IOException or EndOfStreamException or OperationCanceledException or ObjectDisposedException)
        {
            await transport.DisposeAsync().ConfigureAwait(false);
            return null;
        }
        finally
        {
            handshake?.Dispose();
        }
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        while (_plainLength == 0)
        {
            if (_receivedEnd || !await ReadFrameAsync(cancellationToken).ConfigureAwait(false))
            {
                _receivedEnd = true;
                return 0;
            }
        }

        int n = Math.Min(buffer.Length, _plainLength);
        _plain.AsSpan(_plainOffset, n).CopyTo(buffer.Span);
        _plainOffset += n;
        _plainLength -= n;
        return n;
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        byte[]? output = null;
        byte[]? scratch = null;
        try
        {
            // Seal every frame of this write into one buffer: one transport write, which over a data
            // channel is one message instead of many.
            int maxPayload = _options.MaxFramePayload;
            int frames = Math.Max(1, (buffer.Length + maxPayload - 1) / maxPayload);
            int padded = Math.Min(frames, _paddedFramesLeft);
            output = ArrayPool<byte>.Shared.Rent(buffer.Length + (frames * (SecureTunnelFraming.HeaderLength + CipherState.TagLength)) + (padded * _options.MaxPadding));

            // Padded frames need scratch space of their own: the reader may be using its buffers concurrently.
            scratch = padded > 0 ? ArrayPool<byte>.Shared.Rent(maxPayload + _options.MaxPadding) : null;
            int at = 0;
            ReadOnlySpan<byte> rest = buffer.Span;
            do
            {
                int take = Math.Min(rest.Length, maxPayload);
                int padding = 0;
                if (_paddedFramesLeft > 0)
                {
                    _paddedFramesLeft--;
                    padding = RandomPadding(_options.MaxPadding);
                }

                at += SecureTunnelFraming.Seal(_send, rest[..take], padding, output.AsSpan(at), scratch);
                rest = rest[take..];
            }
            while (!rest.IsEmpty);

            await _transport.WriteAsync(output.AsMemory(0, at), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (output is not null)
            {
                ArrayPool<byte>.Shared.Return(output);
            }

            if (scratch is not null)
            {
                ArrayPool<byte>.Shared.Return(scratch, clearArray: true);
            }

            _writeLock.Release();
        }
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => _transport.FlushAsync(cancellationToken);

    public override void Flush() => _transport.Flush();

    public override int Read(byte[] buffer, int offset, int count) =>
        ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override void Write(byte[] buffer, int offset, int count) =>
        WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _transport.DisposeAsync().ConfigureAwait(false);
        _send.Dispose();
        _receive.Dispose();
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

    /// <returns>False at a clean end of the transport between frames.</returns>
    private async ValueTask<bool> ReadFrameAsync(CancellationToken cancellationToken)
    {
        Memory<byte> header = _sealed.AsMemory(0, SecureTunnelFraming.HeaderLength);
        int got = await _transport.ReadAtLeastAsync(header, header.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        if (got == 0)
        {
            return false;
        }

        if (got < header.Length || !SecureTunnelFraming.TryOpenHeader(_receive, header.Span, out int body, out int padding))
        {
            throw new IOException("Tunnel frame did not authenticate.");
        }

        Memory<byte> sealedBody = _sealed.AsMemory(0, body + CipherState.TagLength);
        await _transport.ReadExactlyAsync(sealedBody, cancellationToken).ConfigureAwait(false);
        if (_receive.DecryptWithAd(default, sealedBody.Span, _plain) != body)
        {
            throw new IOException("Tunnel frame did not authenticate.");
        }

        _plainOffset = 0;
        _plainLength = body - padding;
        return true;
    }

    private static async Task<byte[]?> ReadHandshakeFrameAsync(Stream transport, CipherState cipher, CancellationToken cancellationToken)
    {
        byte[] header = new byte[SecureTunnelFraming.HeaderLength];
        await transport.ReadExactlyAsync(header, cancellationToken).ConfigureAwait(false);
        if (!SecureTunnelFraming.TryOpenHeader(cipher, header, out int body, out int padding) || body > 4096)
        {
            return null;
        }

        byte[] sealedBody = new byte[body + CipherState.TagLength];
        await transport.ReadExactlyAsync(sealedBody, cancellationToken).ConfigureAwait(false);
        byte[] plain = new byte[body];
        return cipher.DecryptWithAd(default, sealedBody, plain) == body ? plain[..(body - padding)] : null;
    }

    private static CipherState DeriveObfuscationCipher(ObfuscationSecret secret, ReadOnlySpan<byte> salt, ReadOnlySpan<byte> info)
    {
        Span<byte> key = stackalloc byte[CipherState.KeyLength];
        HKDF.DeriveKey(HashAlgorithmName.SHA256, secret.Bytes, key, salt, info);
        var cipher = new CipherState();
        cipher.InitializeKey(key);
        CryptographicOperations.ZeroMemory(key);
        return cipher;
    }

    private static byte[] Prologue(ReadOnlySpan<byte> salt) => [.. PrologueLabel, .. salt];

    private static bool IsFresh(ReadOnlySpan<byte> timestamp, SecureTunnelOptions options)
    {
        long sent = BinaryPrimitives.ReadInt64BigEndian(timestamp);
        long now = options.TimeProvider.GetUtcNow().ToUnixTimeSeconds();
        return Math.Abs(now - sent) <= (long)options.MaxClockSkew.TotalSeconds;
    }

    private static int RandomPadding(int max) => max == 0 ? 0 : Random.Shared.Next(max + 1);

    private static async Task HoldProbeAsync(Stream transport, SecureTunnelOptions options, CancellationToken cancellationToken)
    {
        double span = (options.ProbeHoldMax - options.ProbeHoldMin).TotalMilliseconds;
        TimeSpan hold = options.ProbeHoldMin + TimeSpan.FromMilliseconds(Random.Shared.NextDouble() * span);
        using var holding = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using ITimer timer = options.TimeProvider.CreateTimer(_ => holding.Cancel(), null, hold, Timeout.InfiniteTimeSpan);
        byte[] sink = ArrayPool<byte>.Shared.Rent(4096);
        try
        {
            while (await transport.ReadAsync(sink, holding.Token).ConfigureAwait(false) > 0)
            {
                // Read and drop, answering nothing, like a server still waiting for a valid request.
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
        {
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(sink);
            await transport.DisposeAsync().ConfigureAwait(false);
        }
    }
}
