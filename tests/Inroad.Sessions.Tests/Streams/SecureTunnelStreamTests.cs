using System.Net.Sockets;
using Inroad.Sessions.Keys;
using Inroad.Sessions.Obfuscation;
using Inroad.Sessions.Streams;
using Inroad.Testing;
using Microsoft.Extensions.Time.Testing;

namespace Inroad.Sessions.Tests.Streams;

public sealed class SecureTunnelStreamTests
{
    // Short probe holds keep the refusal tests quick. The handshake timeout stays generous: loopback handshakes take
    // milliseconds, but other test classes (ConcurrencyTests) flood the thread pool, and a handshake that merely waits
    // for a thread must not fail. Only the test of the timeout itself uses a short one.
    private static readonly SecureTunnelOptions Quick = new()
    {
        HandshakeTimeout = TimeSpan.FromSeconds(15),
        ProbeHoldMin = TimeSpan.FromMilliseconds(100),
        ProbeHoldMax = TimeSpan.FromMilliseconds(300),
    };

    private static CancellationToken Timeout()
    {
        var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(TimeSpan.FromSeconds(60));
        return cts.Token;
    }

    /// <summary>A server for a fresh identity, a loopback connection to it, and its pending accept.</summary>
    private static async Task<(Identity Id, SecureTunnelServer Server, NetworkStream Client, Task<SecureTunnelStream?> Accepting)> StartAsync(CancellationToken ct)
    {
        var id = Identity.Create();
        var server = new SecureTunnelServer(id.Key, id.Secret, Quick);
        var (client, serverSide) = await LoopbackPair.CreateAsync(ct);
        return (id, server, client, server.AcceptAsync(serverSide, ct));
    }

    private sealed record Identity(SessionPrivateKey Key, ObfuscationSecret Secret)
    {
        public static Identity Create() => new(SessionPrivateKey.Generate(), ObfuscationSecret.Generate());
    }

    [Fact]
    public async Task Both_sides_agree_and_carry_one_MiB_each_way_byte_for_byte()
    {
        CancellationToken ct = Timeout();
        var (id, server, c, accepting) = await StartAsync(ct);
        await using SecureTunnelStream client = await SecureTunnelStream.ConnectAsync(c, id.Key.PublicKey, id.Secret, Quick, ct);
        await using SecureTunnelStream accepted = (await accepting)!;
        Assert.Equal(client.HandshakeHash.ToArray(), accepted.HandshakeHash.ToArray());

        byte[] up = new byte[1 << 20];
        byte[] down = new byte[1 << 20];
        new Random(1).NextBytes(up);
        new Random(2).NextBytes(down);
        Task w1 = client.WriteAsync(up, ct).AsTask();
        Task w2 = accepted.WriteAsync(down, ct).AsTask();
        byte[] gotUp = new byte[up.Length];
        byte[] gotDown = new byte[down.Length];
        await Task.WhenAll(accepted.ReadExactlyAsync(gotUp, ct).AsTask(), client.ReadExactlyAsync(gotDown, ct).AsTask(), w1, w2);
        Assert.Equal(up, gotUp);
        Assert.Equal(down, gotDown);
    }

    [Fact]
    public async Task Padded_writes_while_the_same_stream_reads_keep_both_directions_intact()
    {
        // Regression: padded frames were sealed through the reader's buffer, so a write during a read broke the stream.
        CancellationToken ct = Timeout();
        var options = new SecureTunnelOptions { HandshakeTimeout = Quick.HandshakeTimeout, PaddedFrames = 100_000, MaxPadding = 256 };
        var id = Identity.Create();
        var server = new SecureTunnelServer(id.Key, id.Secret, options);
        var (c, s) = await LoopbackPair.CreateAsync(ct);
        Task<SecureTunnelStream?> accepting = server.AcceptAsync(s, ct);
        await using SecureTunnelStream client = await SecureTunnelStream.ConnectAsync(c, id.Key.PublicKey, id.Secret, options, ct);
        await using SecureTunnelStream accepted = (await accepting)!;

        // Small padded writes one way while large frames (read in several pieces) come the other way.
        byte[] up = new byte[512 * 1024];
        byte[] down = new byte[8 << 20];
        new Random(3).NextBytes(up);
        new Random(4).NextBytes(down);
        async Task WriteAsync(Stream stream, byte[] data, int size)
        {
            for (int at = 0; at < data.Length; at += size)
            {
                await stream.WriteAsync(data.AsMemory(at, Math.Min(size, data.Length - at)), ct);
            }
        }

        byte[] gotUp = new byte[up.Length];
        byte[] gotDown = new byte[down.Length];
        await Task.WhenAll(
            Task.Run(() => WriteAsync(client, up, 61), ct),
            Task.Run(() => WriteAsync(accepted, down, 64 * 1024), ct),
            accepted.ReadExactlyAsync(gotUp, ct).AsTask(),
            client.ReadExactlyAsync(gotDown, ct).AsTask());
        Assert.Equal(up, gotUp);
        Assert.Equal(down, gotDown);
    }

    [Fact]
    public async Task The_first_flight_differs_every_time_and_its_length_varies()
    {
        CancellationToken ct = Timeout();
        var id = Identity.Create();
        var server = new SecureTunnelServer(id.Key, id.Secret, Quick);
        var flights = new List<byte[]>();
        for (int i = 0; i < 40; i++)
        {
            var (c, s) = await LoopbackPair.CreateAsync(ct);
            var recording = new RecordingStream(c);
            Task<SecureTunnelStream?> accepting = server.AcceptAsync(s, ct);
            await using SecureTunnelStream client = await SecureTunnelStream.ConnectAsync(recording, id.Key.PublicKey, id.Secret, Quick, ct);
            await using SecureTunnelStream? accepted = await accepting;
            Assert.NotNull(accepted);
            flights.Add(recording.Written.ToArray());
        }

        Assert.Equal(40, flights.Select(f => Convert.ToHexString(f.AsSpan(0, 48))).Distinct().Count());
        Assert.True(flights.Select(f => f.Length).Distinct().Count() > 10, "padding should vary the first flight's length");

        // No fixed byte positions: every bit of the first 64 bytes takes both values across flights
        // (a random bit stays constant over 40 flights with probability 2^-39).
        for (int bit = 0; bit < 64 * 8; bit++)
        {
            int ones = flights.Count(f => (f[bit / 8] >> (bit % 8) & 1) == 1);
            Assert.InRange(ones, 1, flights.Count - 1);
        }
    }

    [Fact]
    public async Task Wrong_obfuscation_secret_gets_silence_then_a_close_and_the_client_a_clear_failure()
    {
        CancellationToken ct = Timeout();
        var (id, server, c, accepting) = await StartAsync(ct);
        var error = await Assert.ThrowsAsync<SessionException>(() =>
            SecureTunnelStream.ConnectAsync(c, id.Key.PublicKey, ObfuscationSecret.Generate(), Quick, ct));
        Assert.Equal(SessionError.HandshakeFailed, error.Error);
        Assert.Null(await accepting);
    }

    [Fact]
    public async Task Wrong_server_key_fails_the_handshake_without_an_answer()
    {
        CancellationToken ct = Timeout();
        var (id, server, c, accepting) = await StartAsync(ct);
        var recording = new RecordingStream(c);
        await Assert.ThrowsAsync<SessionException>(() =>
            SecureTunnelStream.ConnectAsync(recording, SessionPrivateKey.Generate().PublicKey, id.Secret, Quick, ct));
        Assert.Null(await accepting);
        Assert.Equal(0, recording.ReadCount);
    }

    [Fact]
    public async Task A_replayed_first_flight_is_met_with_silence()
    {
        CancellationToken ct = Timeout();
        var (id, server, c, accepting) = await StartAsync(ct);
        var recording = new RecordingStream(c);
        await using (await SecureTunnelStream.ConnectAsync(recording, id.Key.PublicKey, id.Secret, Quick, ct))
        await using (await accepting)
        {
        }

        var (replayer, s2) = await LoopbackPair.CreateAsync(ct);
        await using (replayer)
        {
            Task<SecureTunnelStream?> second = server.AcceptAsync(s2, ct);
            await replayer.WriteAsync(recording.Written.ToArray(), ct);
            Assert.Null(await second);
            byte[] answer = new byte[1];
            Assert.Equal(0, await replayer.ReadAsync(answer, ct)); // closed, having said nothing
        }
    }

    [Fact]
    public async Task A_client_clock_outside_the_skew_window_is_refused()
    {
        CancellationToken ct = Timeout();
        var id = Identity.Create();
        var server = new SecureTunnelServer(id.Key, id.Secret, Quick);
        var stale = new SecureTunnelOptions
        {
            HandshakeTimeout = Quick.HandshakeTimeout,
            TimeProvider = new FakeTimeProvider(DateTimeOffset.UtcNow - TimeSpan.FromMinutes(6)),
        };
        var (c, s) = await LoopbackPair.CreateAsync(ct);
        Task<SecureTunnelStream?> accepting = server.AcceptAsync(s, ct);
        await Assert.ThrowsAsync<SessionException>(() => SecureTunnelStream.ConnectAsync(c, id.Key.PublicKey, id.Secret, stale, ct));
        Assert.Null(await accepting);
    }

    [Fact]
    public async Task Garbage_shorter_than_a_first_flight_is_held_then_closed_without_a_byte()
    {
        CancellationToken ct = Timeout();
        var id = Identity.Create();
        var server = new SecureTunnelServer(id.Key, id.Secret, new SecureTunnelOptions { HandshakeTimeout = TimeSpan.FromSeconds(2) });
        var (prober, s) = await LoopbackPair.CreateAsync(ct);
        await using (prober)
        {
            Task<SecureTunnelStream?> accepting = server.AcceptAsync(s, ct);
            await prober.WriteAsync("GET / HTTP/1.1\r\n\r\n"u8.ToArray(), ct);
            Assert.Null(await accepting);
            Assert.Equal(0, await prober.ReadAsync(new byte[1], ct));
        }
    }

    [Fact]
    public async Task A_flipped_bit_in_a_data_frame_breaks_the_stream_instead_of_delivering_wrong_bytes()
    {
        CancellationToken ct = Timeout();
        var (id, server, c, accepting) = await StartAsync(ct);
        var tamper = new RecordingStream(c);
        await using SecureTunnelStream client = await SecureTunnelStream.ConnectAsync(tamper, id.Key.PublicKey, id.Secret, Quick, ct);
        await using SecureTunnelStream accepted = (await accepting)!;

        tamper.FlipBitInNextWrite = 30;
        await client.WriteAsync(new byte[100], ct);
        await Assert.ThrowsAsync<IOException>(async () => await accepted.ReadExactlyAsync(new byte[100], ct));
    }

    [Fact]
    public void Options_name_the_bad_property()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new SecureTunnelOptions { ProbeHoldMin = TimeSpan.FromSeconds(5), ProbeHoldMax = TimeSpan.FromSeconds(1) }.Validate());
        Assert.Equal(nameof(SecureTunnelOptions.ProbeHoldMax), ex.ParamName);
    }

    /// <summary>Wraps a stream, recording what is written and optionally flipping one bit of the next write.</summary>
    private sealed class RecordingStream(NetworkStream inner) : Stream
    {
        public MemoryStream Written { get; } = new();

        public int ReadCount { get; private set; }

        public int FlipBitInNextWrite { get; set; } = -1;

        public override bool CanRead => true;

        public override bool CanWrite => true;

        public override bool CanSeek => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            int n = await inner.ReadAsync(buffer, cancellationToken);
            ReadCount += n;
            return n;
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            byte[] copy = buffer.ToArray();
            if (FlipBitInNextWrite >= 0)
            {
                copy[FlipBitInNextWrite] ^= 0x10;
                FlipBitInNextWrite = -1;
            }

            Written.Write(copy);
            return inner.WriteAsync(copy, cancellationToken);
        }

        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

        public override void Flush() => inner.Flush();

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override ValueTask DisposeAsync() => inner.DisposeAsync();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
