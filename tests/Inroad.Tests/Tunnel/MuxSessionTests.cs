using System.Buffers.Binary;
using Inroad.Testing;
using Inroad.Tunnel;

namespace Inroad.Tests.Tunnel;

public sealed class MuxSessionTests
{
    private static CancellationToken Timeout(int seconds = 60)
    {
        var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(TimeSpan.FromSeconds(seconds));
        return cts.Token;
    }

    private static async Task<(MuxSession Client, MuxSession Server)> StartAsync(CancellationToken ct, MuxOptions? options = null)
    {
        var (c, s) = await LoopbackPair.CreateAsync(ct);
        return (MuxSession.StartClient(c, options), MuxSession.StartServer(s, options));
    }

    /// <summary>Server that echoes every accepted stream until its peer finishes.</summary>
    private static async Task EchoServerAsync(MuxSession server, CancellationToken ct)
    {
        var tasks = new List<Task>();
        while (await server.AcceptStreamAsync(ct) is { } stream)
        {
            tasks.Add(Task.Run(async () =>
            {
                await using (stream)
                {
                    await stream.AcceptAsync(ct);
                    await stream.CopyToAsync(stream, ct);
                    await stream.CompleteWritesAsync(ct);
                }
            }, ct));
        }

        await Task.WhenAll(tasks);
    }

    [Fact]
    public async Task Concurrent_streams_echo_half_a_MiB_each_byte_for_byte()
    {
        CancellationToken ct = Timeout();
        var (client, server) = await StartAsync(ct);
        await using (client)
        await using (server)
        {
            Task echo = EchoServerAsync(server, ct);
            var transfers = Enumerable.Range(0, 8).Select(async i =>
            {
                byte[] data = new byte[512 * 1024];
                new Random(i).NextBytes(data);
                await using MuxStream stream = await client.OpenStreamAsync($"echo.test:{7000 + i}", ct);
                Task writer = Task.Run(async () =>
                {
                    await stream.WriteAsync(data, ct);
                    await stream.CompleteWritesAsync(ct);
                }, ct);
                var received = new MemoryStream();
                await stream.CopyToAsync(received, ct);
                await writer;
                Assert.Equal(data, received.ToArray());
            });
            await Task.WhenAll(transfers);
        }
    }

    [Fact]
    public async Task Server_sees_the_requested_target_and_a_rejection_reaches_the_client_with_its_reason()
    {
        CancellationToken ct = Timeout();
        var (client, server) = await StartAsync(ct);
        await using (client)
        await using (server)
        {
            Task<MuxStream> opening = client.OpenStreamAsync("10.0.0.1:22", ct);
            MuxStream? incoming = await server.AcceptStreamAsync(ct);
            Assert.NotNull(incoming);
            Assert.Equal("10.0.0.1:22", incoming.Target);
            await incoming.RejectAsync(MuxResetReason.NotAllowed);

            var error = await Assert.ThrowsAsync<TunnelStreamException>(() => opening);
            Assert.Equal(MuxResetReason.NotAllowed, error.Reason);
            Assert.Equal(0, client.StreamCount);
        }
    }

    [Fact]
    public async Task A_stalled_stream_does_not_block_another_and_its_writer_waits_for_credit()
    {
        CancellationToken ct = Timeout();
        var options = new MuxOptions { StreamWindow = 64 * 1024, MaxFramePayload = 16 * 1024 };
        var (client, server) = await StartAsync(ct, options);
        await using (client)
        await using (server)
        {
            Task<MuxStream> stalledOpen = client.OpenStreamAsync("stalled:1", ct);
            MuxStream stalledServer = (await server.AcceptStreamAsync(ct))!;
            await stalledServer.AcceptAsync(ct);
            MuxStream stalled = await stalledOpen;

            // Nobody reads the stalled stream: a write of twice the window cannot finish.
            Task blockedWrite = stalled.WriteAsync(new byte[128 * 1024], ct).AsTask();

            Task<MuxStream> liveOpen = client.OpenStreamAsync("live:2", ct);
            MuxStream liveServer = (await server.AcceptStreamAsync(ct))!;
            await liveServer.AcceptAsync(ct);
            MuxStream live = await liveOpen;
            byte[] payload = new byte[256 * 1024];
            new Random(3).NextBytes(payload);
            Task send = Task.Run(async () => { await live.WriteAsync(payload, ct); await live.CompleteWritesAsync(ct); }, ct);
            var got = new MemoryStream();
            await liveServer.CopyToAsync(got, ct);
            await send;
            Assert.Equal(payload, got.ToArray());
            Assert.False(blockedWrite.IsCompleted);

            // Reading the stalled stream releases its writer.
            var drained = new byte[128 * 1024];
            await stalledServer.ReadExactlyAsync(drained, ct);
            await blockedWrite;
        }
    }

    [Fact]
    public async Task Half_close_lets_a_request_be_answered_after_the_client_finished_writing()
    {
        CancellationToken ct = Timeout();
        var (client, server) = await StartAsync(ct);
        await using (client)
        await using (server)
        {
            Task serve = Task.Run(async () =>
            {
                await using MuxStream s = (await server.AcceptStreamAsync(ct))!;
                await s.AcceptAsync(ct);
                var request = new MemoryStream();
                await s.CopyToAsync(request, ct); // ends at the client's half close
                byte[] answer = [.. request.ToArray(), .. "!"u8];
                await s.WriteAsync(answer, ct);
                await s.CompleteWritesAsync(ct);
            }, ct);

            await using MuxStream stream = await client.OpenStreamAsync("host:80", ct);
            await stream.WriteAsync("ping"u8.ToArray(), ct);
            await stream.CompleteWritesAsync(ct);
            var reply = new MemoryStream();
            await stream.CopyToAsync(reply, ct);
            await serve;
            Assert.Equal("ping!"u8.ToArray(), reply.ToArray());
        }
    }

    [Fact]
    public async Task A_peer_that_overruns_its_window_gets_the_stream_reset_as_a_protocol_error()
    {
        CancellationToken ct = Timeout();
        var (rawClient, serverTransport) = await LoopbackPair.CreateAsync(ct);
        var options = new MuxOptions { StreamWindow = 16 * 1024, MaxFramePayload = 16 * 1024 };
        await using MuxSession server = MuxSession.StartServer(serverTransport, options);
        await using (rawClient)
        {
            await rawClient.WriteAsync(Frame(1, 1, "x:1"u8), ct);
            MuxStream accepted = (await server.AcceptStreamAsync(ct))!;
            await accepted.AcceptAsync(ct);
            await rawClient.WriteAsync(Frame(3, 1, new byte[16 * 1024]), ct); // exactly the window: fine
            await rawClient.WriteAsync(Frame(3, 1, new byte[1]), ct); // one byte over

            // Skip the OpenAccepted frame, then expect Reset(ProtocolError).
            byte[] header = new byte[7];
            await rawClient.ReadExactlyAsync(header, ct);
            Assert.Equal(2, header[0]);
            await rawClient.ReadExactlyAsync(header, ct);
            Assert.Equal(5, header[0]);
            Assert.Equal(1u, BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(1)));
            byte[] reason = new byte[1];
            await rawClient.ReadExactlyAsync(reason, ct);
            Assert.Equal((byte)MuxResetReason.ProtocolError, reason[0]);
        }
    }

    [Fact]
    public async Task Garbage_ends_the_session_quietly_and_resets_open_streams()
    {
        CancellationToken ct = Timeout();
        var (rawServer, clientTransport) = await LoopbackPair.CreateAsync(ct);
        await using MuxSession client = MuxSession.StartClient(clientTransport);
        await using (rawServer)
        {
            Task<MuxStream> opening = client.OpenStreamAsync("a:1", ct);
            byte[] header = new byte[7 + 3];
            await rawServer.ReadExactlyAsync(header, ct);
            await rawServer.WriteAsync(new byte[] { 0xEE, 1, 2, 3, 4, 5, 6, 7 }, ct);

            await client.Completion.WaitAsync(ct);
            var error = await Assert.ThrowsAsync<TunnelStreamException>(() => opening);
            Assert.Equal(MuxResetReason.Closed, error.Reason);
        }
    }

    [Fact]
    public void Options_name_the_bad_property()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new MuxOptions { MaxFramePayload = 100 }.Validate());
        Assert.Equal(nameof(MuxOptions.MaxFramePayload), ex.ParamName);
    }

    private static byte[] Frame(byte type, uint id, ReadOnlySpan<byte> payload)
    {
        byte[] frame = new byte[7 + payload.Length];
        frame[0] = type;
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), id);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(5), (ushort)payload.Length);
        payload.CopyTo(frame.AsSpan(7));
        return frame;
    }
}
