using Inroad.WebRtc.DataChannels;
using Inroad.WebRtc.Dtls;

namespace Inroad.WebRtc.Tests.DataChannels;

public sealed class ShapedDataChannelStreamTests
{
    private static readonly byte[] Secret = Enumerable.Range(40, 32).Select(i => (byte)i).ToArray();

    private static CancellationTokenSource Timeout(int seconds = 30)
    {
        var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(TimeSpan.FromSeconds(seconds));
        return cts;
    }

    private static DataChannelShaping Shaping(DataChannelShapingParameters parameters) => new(Secret, parameters);

    private static async Task<(DataChannel A, DataChannel B)> OpenAsync(DataChannelPair pair, CancellationToken ct)
    {
        DataChannel a = await pair.A.OpenChannelAsync(new DataChannelOptions { Label = "shaped" }, ct);
        DataChannel b = await pair.B.AcceptChannelAsync(ct);
        return (a, b);
    }

    private static async Task<byte[]> ReceiveMessageAsync(DataChannel channel, CancellationToken ct)
    {
        byte[] buffer = new byte[300 * 1024];
        DataChannelMessage m = await channel.ReceiveAsync(buffer, ct);
        Assert.False(m.Truncated || m.EndOfChannel);
        return buffer[..m.Count];
    }

    [Theory]
    [InlineData(0L, new byte[] { 0x00 })]
    [InlineData(-1L, new byte[] { 0x01 })]
    [InlineData(1L, new byte[] { 0x02 })]
    [InlineData(63L, new byte[] { 0x7E })]
    [InlineData(64L, new byte[] { 0x80, 0x01 })]
    [InlineData(1500L, new byte[] { 0xB8, 0x17 })]
    [InlineData(16384L, new byte[] { 0x80, 0x80, 0x02 })]
    public void Header_is_a_zigzag_varint(long value, byte[] expected)
    {
        Span<byte> buffer = stackalloc byte[ShapingHeader.MaxLength];
        Assert.True(ShapingHeader.TryWrite(buffer, value, out int written));
        Assert.Equal(expected, buffer[..written].ToArray());
        Assert.Equal(written, ShapingHeader.GetLength(value));
        Assert.True(ShapingHeader.TryRead(expected, out long read, out int consumed));
        Assert.Equal((value, expected.Length), (read, consumed));
    }

    [Theory]
    [InlineData(long.MaxValue)]
    [InlineData(long.MinValue)]
    [InlineData(-2L)]
    public void Header_round_trips_extremes_and_rejects_truncation_and_overflow(long value)
    {
        byte[] buffer = new byte[ShapingHeader.MaxLength];
        Assert.True(ShapingHeader.TryWrite(buffer, value, out int written));
        Assert.True(ShapingHeader.TryRead(buffer.AsSpan(0, written), out long read, out _));
        Assert.Equal(value, read);
        Assert.False(ShapingHeader.TryRead(buffer.AsSpan(0, written - 1), out _, out _));
        Assert.False(ShapingHeader.TryWrite(new byte[written - 1], value, out _));
        Assert.False(ShapingHeader.TryRead([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x02], out _, out _));
        Assert.False(ShapingHeader.TryRead([], out _, out _));
    }

    [Fact]
    public async Task Padded_messages_then_minus_one_then_raw_on_the_wire_with_sizes_within_parameters()
    {
        using CancellationTokenSource cts = Timeout();
        await using DataChannelPair pair = await DataChannelPair.StartAsync(null, cts.Token);
        var (a, b) = await OpenAsync(pair, cts.Token);
        var parameters = new DataChannelShapingParameters { MinPaddedMessages = 3, MaxPaddedMessages = 3, MinPaddingSize = 100, MaxPaddingSize = 200 };
        var shaped = (ShapedDataChannelStream)a.AsShapedStream(Shaping(parameters), SignalingRole.Offerer);
        byte[][] payloads = Enumerable.Range(0, 5).Select(i => Enumerable.Repeat((byte)(i + 1), 1000).ToArray()).ToArray();
        foreach (byte[] p in payloads)
        {
            await shaped.WriteAsync(p, cts.Token);
        }

        for (int i = 0; i < 3; i++)
        {
            byte[] m = await ReceiveMessageAsync(b, cts.Token);
            Assert.True(ShapingHeader.TryRead(m, out long padding, out int consumed));
            Assert.InRange(padding, 100, 200);
            Assert.Equal(consumed + padding + 1000, m.Length);
            Assert.Equal(payloads[i], m[(consumed + (int)padding)..]);
        }

        byte[] last = await ReceiveMessageAsync(b, cts.Token);
        Assert.Equal(0x01, last[0]); // −1: no more headers
        Assert.Equal(payloads[3], last[1..]);
        Assert.Equal(payloads[4], await ReceiveMessageAsync(b, cts.Token)); // raw
        Assert.Equal(3, shaped.PaddedMessagesSent);
        Assert.False(shaped.IsShapingWrites);
    }

    [Fact]
    public async Task Same_secret_and_role_replays_the_same_padding_and_roles_differ()
    {
        Assert.Equal(ShapedDataChannelStream.DeriveSeed(Secret, SignalingRole.Offerer), ShapedDataChannelStream.DeriveSeed(Secret, SignalingRole.Offerer));
        Assert.NotEqual(ShapedDataChannelStream.DeriveSeed(Secret, SignalingRole.Offerer), ShapedDataChannelStream.DeriveSeed(Secret, SignalingRole.Answerer));

        var parameters = new DataChannelShapingParameters { MinPaddedMessages = 4, MaxPaddedMessages = 4, MinPaddingSize = 0, MaxPaddingSize = 16384 };
        async Task<long[]> PaddingsAsync()
        {
            using CancellationTokenSource cts = Timeout();
            await using DataChannelPair pair = await DataChannelPair.StartAsync(null, cts.Token);
            var (a, b) = await OpenAsync(pair, cts.Token);
            Stream s = a.AsShapedStream(Shaping(parameters), SignalingRole.Offerer);
            var result = new long[4];
            for (int i = 0; i < 4; i++)
            {
                await s.WriteAsync(new byte[] { 9 }, cts.Token);
                Assert.True(ShapingHeader.TryRead(await ReceiveMessageAsync(b, cts.Token), out result[i], out _));
            }

            return result;
        }

        long[] first = await PaddingsAsync();
        Assert.Equal(first, await PaddingsAsync());
        Assert.True(first.Distinct().Count() > 1, "paddings vary");
    }

    [Fact]
    public async Task Decoys_answer_reads_are_pure_padding_and_stop_at_their_count()
    {
        using CancellationTokenSource cts = Timeout();
        await using DataChannelPair pair = await DataChannelPair.StartAsync(null, cts.Token);
        var (a, b) = await OpenAsync(pair, cts.Token);
        var parameters = new DataChannelShapingParameters { MinDecoyMessages = 3, MaxDecoyMessages = 3, MinDecoySize = 10, MaxDecoySize = 20, DecoyMessageProbability = 1 };
        var shaped = (ShapedDataChannelStream)a.AsShapedStream(Shaping(parameters), SignalingRole.Offerer);
        byte[] buffer = new byte[64];
        for (int i = 0; i < 5; i++)
        {
            await b.SendAsync(new byte[] { 0x00, (byte)i }, cts.Token); // header 0, one payload byte
            Assert.Equal(1, await shaped.ReadAsync(buffer, cts.Token));
            Assert.Equal(i, buffer[0]);
        }

        // Three decoys arrived (one per read until the count ran out): header = padding length, nothing after it.
        for (int i = 0; i < 3; i++)
        {
            byte[] m = await ReceiveMessageAsync(b, cts.Token);
            Assert.True(ShapingHeader.TryRead(m, out long padding, out int consumed));
            Assert.InRange(padding, 10, 20);
            Assert.Equal(consumed + padding, m.Length);
        }

        Assert.Equal(3, shaped.DecoyMessagesSent);
        await shaped.WriteAsync(new byte[] { 7, 7 }, cts.Token);
        Assert.Equal(new byte[] { 0x01, 7, 7 }, await ReceiveMessageAsync(b, cts.Token)); // no padded messages, decoys spent: −1 at once
    }

    [Fact]
    public async Task Receiver_skips_padding_drops_decoys_and_goes_raw_after_minus_one()
    {
        using CancellationTokenSource cts = Timeout();
        await using DataChannelPair pair = await DataChannelPair.StartAsync(null, cts.Token);
        var (a, b) = await OpenAsync(pair, cts.Token);
        var shaped = (ShapedDataChannelStream)b.AsShapedStream(Shaping(new DataChannelShapingParameters()), SignalingRole.Answerer);
        await a.SendAsync(new byte[] { 0x06, 0xEE, 0xEE, 0xEE, (byte)'a', (byte)'b' }, cts.Token); // padding 3
        await a.SendAsync(new byte[] { 0x04, 0xEE, 0xEE }, cts.Token);                               // decoy
        await a.SendAsync(new byte[] { 0x00, (byte)'c' }, cts.Token);                                // header only
        await a.SendAsync(new byte[] { 0x01, (byte)'d' }, cts.Token);                                // −1
        await a.SendAsync(new byte[] { 0x06, (byte)'e' }, cts.Token);                                // raw: 0x06 is data now
        byte[] got = new byte[6];
        await shaped.ReadExactlyAsync(got, cts.Token);
        Assert.Equal("abcd\u0006e"u8.ToArray(), got);
        Assert.Equal((1, 1), (shaped.PaddedMessagesReceived, shaped.DecoyMessagesReceived));
        Assert.False(shaped.IsShapingReads);
    }

    [Theory]
    [InlineData(new byte[] { 0x0A, 1, 2 })] // padding 5 > 2 bytes left
    [InlineData(new byte[] { 0x03, 1 })]    // −2
    [InlineData(new byte[] { 0x80 })]       // truncated varint
    public async Task Malformed_header_fails_the_read(byte[] message)
    {
        using CancellationTokenSource cts = Timeout();
        await using DataChannelPair pair = await DataChannelPair.StartAsync(null, cts.Token);
        var (a, b) = await OpenAsync(pair, cts.Token);
        Stream shaped = b.AsShapedStream(Shaping(new DataChannelShapingParameters()), SignalingRole.Answerer);
        await a.SendAsync(message, cts.Token);
        await Assert.ThrowsAsync<IOException>(async () => _ = await shaped.ReadAsync(new byte[16], cts.Token));
    }

    [Fact]
    public async Task One_MiB_each_way_is_byte_exact_with_default_shaping_and_counters_agree()
    {
        using CancellationTokenSource cts = Timeout(60);
        await using DataChannelPair pair = await DataChannelPair.StartAsync(null, cts.Token);
        var (a, b) = await OpenAsync(pair, cts.Token);
        var parameters = DataChannelShapingParameters.Default with { MinPaddingSize = 1, MinPaddedMessages = 2 };
        var sa = (ShapedDataChannelStream)a.AsShapedStream(Shaping(parameters), SignalingRole.Offerer);
        var sb = (ShapedDataChannelStream)b.AsShapedStream(Shaping(parameters), SignalingRole.Answerer);
        byte[] up = new byte[1 << 20];
        byte[] down = new byte[1 << 20];
        new Random(1).NextBytes(up);
        new Random(2).NextBytes(down);
        byte[] gotUp = new byte[up.Length];
        byte[] gotDown = new byte[down.Length];

        // Small writes first so several messages carry padding, then bulk.
        async Task WriteAsync(Stream s, byte[] data)
        {
            int offset = 0;
            for (int size = 1; offset + size <= 4096; size *= 2)
            {
                await s.WriteAsync(data.AsMemory(offset, size), cts.Token);
                offset += size;
            }

            await s.WriteAsync(data.AsMemory(offset), cts.Token);
        }

        await Task.WhenAll(WriteAsync(sa, up), WriteAsync(sb, down), sb.ReadExactlyAsync(gotUp, cts.Token).AsTask(), sa.ReadExactlyAsync(gotDown, cts.Token).AsTask());
        Assert.Equal(up, gotUp);
        Assert.Equal(down, gotDown);
        Assert.InRange(sa.PaddedMessagesSent, 2, 10);
        Assert.Equal(sa.PaddedMessagesSent, sb.PaddedMessagesReceived);
        Assert.Equal(sb.PaddedMessagesSent, sa.PaddedMessagesReceived);

        // Decoys answer reads, so the last ones may still be in flight when the data is complete: the receiver
        // never counts more than were sent (exact decoy accounting has its own test).
        Assert.InRange(sb.DecoyMessagesReceived, 0, sa.DecoyMessagesSent);
        Assert.InRange(sa.DecoyMessagesReceived, 0, sb.DecoyMessagesSent);
    }

    [Fact]
    public void Header_round_trips_random_values_and_never_throws_on_random_bytes()
    {
        var random = new Random(7);
        byte[] buffer = new byte[ShapingHeader.MaxLength];
        for (int i = 0; i < 10_000; i++)
        {
            long value = random.NextInt64(long.MinValue, long.MaxValue) >> random.Next(64);
            Assert.True(ShapingHeader.TryWrite(buffer, value, out int written));
            Assert.True(ShapingHeader.TryRead(buffer.AsSpan(0, written), out long read, out int consumed));
            Assert.Equal((value, written), (read, consumed));

            random.NextBytes(buffer);
            int length = random.Next(buffer.Length + 1);
            if (ShapingHeader.TryRead(buffer.AsSpan(0, length), out _, out consumed))
            {
                Assert.InRange(consumed, 1, length);
            }
        }
    }

    [Fact]
    public async Task Random_messages_give_data_end_of_stream_or_IOException_only()
    {
        using CancellationTokenSource cts = Timeout(60);
        await using DataChannelPair pair = await DataChannelPair.StartAsync(null, cts.Token);
        var random = new Random(11);
        int failures = 0;
        for (int i = 0; i < 40; i++)
        {
            var (a, b) = await OpenAsync(pair, cts.Token);
            Stream shaped = b.AsShapedStream(Shaping(new DataChannelShapingParameters()), SignalingRole.Answerer);
            for (int m = random.Next(1, 4); m > 0; m--)
            {
                byte[] message = new byte[random.Next(1, 40)];
                random.NextBytes(message);
                message[0] = (byte)random.Next(0, 90); // mostly small headers: valid, oversize, negative, -1
                await a.SendAsync(message, cts.Token);
            }

            await a.CloseAsync();
            try
            {
                while (await shaped.ReadAsync(new byte[64], cts.Token) > 0)
                {
                }
            }
            catch (IOException)
            {
                failures++;
            }
        }

        Assert.InRange(failures, 1, 39); // both outcomes were exercised
    }

    [Fact]
    public void Parameters_outside_the_broker_limits_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new DataChannelShapingParameters { MinPaddedMessages = 2, MaxPaddedMessages = 1 }.Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => new DataChannelShapingParameters { MaxDecoySize = 16385 }.Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => new DataChannelShapingParameters { DecoyMessageProbability = 1.5 }.Validate());
        Assert.Throws<ArgumentException>(() => new DataChannelShaping(new byte[31], DataChannelShapingParameters.Default).Validate());
        DataChannelShapingParameters.Default.Validate();
    }
}
