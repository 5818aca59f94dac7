using System.Net;
using System.Net.Sockets;
using Inroad.Testing;
using Inroad.WebRtc.Stun;
using Microsoft.Extensions.Time.Testing;

namespace Inroad.WebRtc.Tests.Stun;

public sealed class StunClientTests
{
    private static readonly IPEndPoint Server = new(IPAddress.Parse("198.51.100.1"), 3478);

    [Fact]
    public async Task Retransmits_on_the_rfc8489_schedule_and_times_out_at_39_5_seconds()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        var sends = new List<TimeSpan>();
        DateTimeOffset start = time.GetUtcNow();
        await using var client = new StunClient(
            (_, _, _) =>
            {
                sends.Add(time.GetUtcNow() - start);
                return ValueTask.CompletedTask;
            },
            new StunClientOptions { TimeProvider = time });

        Task<StunResponse> bind = client.BindAsync(Server, TestContext.Current.CancellationToken);
        for (int ms = 0; ms < 40_000 && !bind.IsCompleted; ms += 100)
        {
            time.Advance(TimeSpan.FromMilliseconds(100));
            await Task.Yield();
            await Task.Delay(1, TestContext.Current.CancellationToken);
        }

        var ex = await Assert.ThrowsAsync<StunException>(() => bind);
        Assert.Equal(StunError.Timeout, ex.Error);
        Assert.True(ex.IsTransient);
        Assert.Equal(new[] { 0, 500, 1500, 3500, 7500, 15500, 31500 }, sends.Select(s => (int)s.TotalMilliseconds).ToArray());
        Assert.InRange((time.GetUtcNow() - start).TotalMilliseconds, 39_500, 39_600);
    }

    [Fact]
    public void Schedule_is_capped_by_MaxRto()
    {
        var options = new StunClientOptions { InitialRto = TimeSpan.FromMilliseconds(100), MaxSends = 5, MaxRto = TimeSpan.FromMilliseconds(300), LastWaitMultiplier = 4 };
        options.Validate();
        Assert.Equal(new[] { 100, 200, 300, 300, 400 }, Enumerable.Range(0, 5).Select(i => (int)options.WaitAfterSend(i).TotalMilliseconds).ToArray());
        var bad = new StunClientOptions { MaxSends = 0 };
        Assert.Equal("MaxSends", Assert.Throws<ArgumentOutOfRangeException>(bad.Validate).ParamName);
    }

    [Fact]
    public async Task Matches_responses_by_transaction_id_and_ignores_strangers_and_bad_fingerprints()
    {
        var time = new FakeTimeProvider();
        byte[]? sent = null;
        await using var client = new StunClient(
            (d, _, _) =>
            {
                sent = d.ToArray();
                return ValueTask.CompletedTask;
            },
            new StunClientOptions { TimeProvider = time });
        Task<StunResponse> bind = client.BindAsync(Server, TestContext.Current.CancellationToken);
        Assert.NotNull(sent);
        Assert.True(StunMessage.TryRead(sent, out StunMessage? request));
        Assert.True(request.HasValidFingerprint());

        var mapped = new IPEndPoint(IPAddress.Parse("203.0.113.9"), 40000);
        byte[] other = Response(StunTransactionId.NewRandom(), mapped);
        Assert.False(client.TryHandleDatagram(other, Server));
        byte[] corrupted = Response(request.TransactionId, mapped);
        corrupted[^1] ^= 1;
        Assert.False(client.TryHandleDatagram(corrupted, Server));
        Assert.False(client.TryHandleDatagram(new byte[] { 1, 2, 3 }, Server));
        Assert.False(bind.IsCompleted);

        time.Advance(TimeSpan.FromMilliseconds(120));
        Assert.True(client.TryHandleDatagram(Response(request.TransactionId, mapped), Server));
        StunResponse response = await bind;
        Assert.True(response.IsSuccess);
        Assert.Equal(mapped, response.MappedAddress);
        Assert.Equal(1, response.Sends);
        Assert.Equal(TimeSpan.FromMilliseconds(120), response.RoundTripTime);
    }

    [Fact]
    public async Task Binds_through_our_server_over_loopback_and_gets_420_for_change_request()
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(TimeSpan.FromSeconds(10));
        await using StunServer server = StunServer.Start(new StunServerOptions { IncludeResponseOrigin = true });
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        // A retransmission is not what this test is about, but a loaded machine may still cause one: the count below
        // is exact for any number of sends, and a long first RTO makes them rare.
        await using StunClient client = StunClient.ForSocket(socket, new StunClientOptions { InitialRto = TimeSpan.FromSeconds(2) });

        StunResponse ok = await client.BindAsync(server.LocalEndPoint, cts.Token);
        Assert.True(ok.IsSuccess);
        Assert.Equal(socket.LocalEndPoint, ok.MappedAddress);
        Assert.Equal(server.LocalEndPoint, ok.ResponseOrigin);
        Assert.Equal(server.LocalEndPoint, ok.From);

        StunResponse changed = await client.BindAsync(server.LocalEndPoint, changeIp: true, changePort: true, cts.Token);
        Assert.False(changed.IsSuccess);
        Assert.Equal(420, changed.ErrorCode);
        Assert.Equal(new ushort[] { StunAttributeType.ChangeRequest }, changed.Message.GetUnknownAttributesList());

        // The server answers every send, retransmissions included; one may still be on its way to the server when the
        // answer to an earlier send has reached us, so wait for the count instead of reading it once.
        await Eventually.UntilAsync(() => server.Answered >= ok.Sends + changed.Sends, cts.Token);
        Assert.Equal(ok.Sends + changed.Sends, server.Answered);
        Assert.Equal(0, server.Ignored);
    }

    [Fact]
    public async Task Dispose_fails_pending_transactions_as_closed()
    {
        var client = new StunClient((_, _, _) => ValueTask.CompletedTask, new StunClientOptions { TimeProvider = new FakeTimeProvider() });
        Task<StunResponse> bind = client.BindAsync(Server, TestContext.Current.CancellationToken);
        await client.DisposeAsync();
        var ex = await Assert.ThrowsAsync<StunException>(() => bind);
        Assert.Equal(StunError.Closed, ex.Error);
    }

    private static byte[] Response(StunTransactionId id, IPEndPoint mapped)
    {
        byte[] buffer = new byte[128];
        var w = new StunMessageWriter(buffer, StunClass.SuccessResponse, StunMethod.Binding, id);
        w.AddXorMappedAddress(mapped);
        w.AddFingerprint();
        Assert.True(w.TryComplete(out int n));
        return buffer[..n];
    }
}
