using Inroad.Sessions.Keys;
using Inroad.Sessions.Obfuscation;
using Inroad.Sessions.Records;

namespace Inroad.Sessions.Tests.Sessions;

public sealed class ResponderDefenceTests
{
    /// <summary>Establishes a session (request "R1"), then captures the next request ("R2") without delivering it.</summary>
    private static async Task<byte[]> EstablishedThenCapturedAsync(SessionFixture f, InitiatorSessions initiator, CancellationToken ct)
    {
        await initiator.RoundTripAsync(f.RoundTripper, f.Identity, "R1"u8.ToArray(), TimeSpan.Zero, TimeSpan.FromSeconds(5), ct);
        var capture = new CapturingRoundTripper();
        await Assert.ThrowsAnyAsync<Exception>(() => initiator.RoundTripAsync(capture, f.Identity, "R2"u8.ToArray(), TimeSpan.Zero, TimeSpan.FromSeconds(5), ct));
        return capture.Packets.Single();
    }

    [Fact]
    public async Task Tampering_any_byte_of_a_request_is_rejected_and_the_session_survives()
    {
        using var f = new SessionFixture();
        using var initiator = f.NewInitiator();
        CancellationToken ct = TestContext.Current.CancellationToken;
        byte[] packet = await EstablishedThenCapturedAsync(f, initiator, ct);
        for (int i = 0; i < packet.Length; i++)
        {
            byte[] t = (byte[])packet.Clone();
            t[i] ^= 0x20;
            Assert.Equal(ResponderResultKind.Rejected, (await f.Responder.HandlePacketAsync(t, f.Handler, ct)).Kind);
        }

        Assert.Equal(ResponderResultKind.Reply, (await f.Responder.HandlePacketAsync(packet, f.Handler, ct)).Kind);
        Assert.Equal(ResponderResultKind.Rejected, (await f.Responder.HandlePacketAsync(packet, f.Handler, ct)).Kind);
        Assert.Equal(2, f.HandlerCalls);
    }

    [Fact]
    public async Task Insider_replay_with_fresh_obfuscation_is_caught_by_the_noise_window()
    {
        using var f = new SessionFixture();
        using var initiator = f.NewInitiator();
        CancellationToken ct = TestContext.Current.CancellationToken;
        byte[] packet = await EstablishedThenCapturedAsync(f, initiator, ct);
        Assert.Equal(ResponderResultKind.Reply, (await f.Responder.HandlePacketAsync(packet, f.Handler, ct)).Kind);

        // Someone holding the obfuscation secret re-wraps the same session packet under a new nonce.
        using var insider = new PacketObfuscator(f.Secret, f.Time, null, TimeSpan.FromMinutes(5));
        byte[] buffer = new byte[packet.Length];
        Assert.True(insider.TryDeobfuscate(packet, PacketDirection.InitiatorToResponder, buffer, out Range r));
        byte[] rewrapped = insider.Obfuscate(buffer[r], PacketDirection.InitiatorToResponder);
        Assert.Equal(ResponderResultKind.Rejected, (await f.Responder.HandlePacketAsync(rewrapped, f.Handler, ct)).Kind);
        Assert.Equal(2, f.HandlerCalls);
    }

    [Fact]
    public async Task Requests_of_one_session_are_accepted_out_of_order()
    {
        using var f = new SessionFixture();
        using var initiator = f.NewInitiator();
        CancellationToken ct = TestContext.Current.CancellationToken;
        await initiator.RoundTripAsync(f.RoundTripper, f.Identity, "R0"u8.ToArray(), TimeSpan.Zero, TimeSpan.FromSeconds(5), ct);
        var capture = new CapturingRoundTripper();
        for (int i = 0; i < 6; i++)
        {
            await Assert.ThrowsAnyAsync<Exception>(() => initiator.RoundTripAsync(capture, f.Identity, new byte[] { (byte)'R', (byte)i }, TimeSpan.Zero, TimeSpan.FromSeconds(5), ct));
        }

        foreach (int i in new[] { 5, 0, 3, 1, 4, 2 })
        {
            Assert.Equal(ResponderResultKind.Reply, (await f.Responder.HandlePacketAsync(capture.Packets[i], f.Handler, ct)).Kind);
        }

        Assert.Equal(7, f.HandlerCalls);
    }

    [Fact]
    public async Task Pending_handshakes_are_bounded_and_expire()
    {
        using var f = new SessionFixture(configure: o => { o.MaxConcurrentHandshakes = 4; o.HandshakeTtl = TimeSpan.FromSeconds(30); });
        CancellationToken ct = TestContext.Current.CancellationToken;

        // Initiators that send message 1 and never message 3.
        var capture = new ForwardFirstRoundTripper(f.RoundTripper);
        for (int i = 0; i < 6; i++)
        {
            using var initiator = f.NewInitiator();
            await Assert.ThrowsAnyAsync<Exception>(() => initiator.RoundTripAsync(capture, f.Identity, "R"u8.ToArray(), TimeSpan.Zero, TimeSpan.FromSeconds(5), ct));
        }

        Assert.Equal(4, f.Responder.PendingHandshakeCount);
        Assert.Equal(2, capture.Refused);
        f.Time.Advance(TimeSpan.FromSeconds(31));
        using var late = f.NewInitiator();
        Assert.Equal("re:R"u8.ToArray(), await late.RoundTripAsync(f.RoundTripper, f.Identity, "R"u8.ToArray(), TimeSpan.Zero, TimeSpan.FromSeconds(5), ct));
        Assert.Equal(0, f.Responder.PendingHandshakeCount);
    }

    [Fact]
    public async Task Least_recently_used_sessions_are_evicted_beyond_the_limit()
    {
        using var f = new SessionFixture(configure: o => o.MaxSessions = 3);
        CancellationToken ct = TestContext.Current.CancellationToken;
        var initiators = Enumerable.Range(0, 4).Select(_ => f.NewInitiator()).ToArray();
        foreach (InitiatorSessions i in initiators)
        {
            await i.RoundTripAsync(f.RoundTripper, f.Identity, "R"u8.ToArray(), TimeSpan.Zero, TimeSpan.FromSeconds(5), ct);
        }

        Assert.Equal(3, f.Responder.SessionCount);

        // The first was evicted: its next round trip costs a reset and a new handshake (3 packets); the last costs 1.
        var first = new CountingRoundTripper(f.RoundTripper);
        await initiators[0].RoundTripAsync(first, f.Identity, "R"u8.ToArray(), TimeSpan.Zero, TimeSpan.FromSeconds(5), ct);
        Assert.Equal(3, first.Calls);
        var last = new CountingRoundTripper(f.RoundTripper);
        await initiators[3].RoundTripAsync(last, f.Identity, "R"u8.ToArray(), TimeSpan.Zero, TimeSpan.FromSeconds(5), ct);
        Assert.Equal(1, last.Calls);
        foreach (InitiatorSessions i in initiators)
        {
            i.Dispose();
        }
    }

    [Theory]
    [InlineData("0 1 2 3", "0 1 2 3")]
    [InlineData("3 2 1 0", "3 2 1 0")]
    [InlineData("0 0", "0")]
    [InlineData("5 5 4 5", "5 4")]
    [InlineData("10000 1 1872 1871", "10000 1872")]
    [InlineData("8200 72 71 73", "8200 72 73")]
    public void Replay_window_accepts_unseen_counters_within_8128_only(string counters, string accepted)
    {
        var window = new ReplayWindow();
        var got = counters.Split(' ').Select(ulong.Parse).Where(window.TryAccept).ToArray();
        Assert.Equal(accepted.Split(' ').Select(ulong.Parse).ToArray(), got);
        Assert.Equal(8128UL, ReplayWindow.Size);
    }

    [Fact]
    public async Task Handshake_reply_to_an_unknown_session_with_nonzero_nonce_is_a_verifiable_reset()
    {
        using var f = new SessionFixture();
        using var insider = new PacketObfuscator(f.Secret, f.Time, null, TimeSpan.FromMinutes(5));
        byte[] record = new byte[SessionPacket.EncodedLength(7, 20, 0)];
        new SessionPacket(Id32.NewRandom(), 7, new byte[20], default).WriteRecord(record);
        byte[] packet = insider.Obfuscate(record, PacketDirection.InitiatorToResponder);
        ResponderResult result = await f.Responder.HandlePacketAsync(packet, f.Handler, TestContext.Current.CancellationToken);
        Assert.Equal(ResponderResultKind.Reply, result.Kind);
        byte[] buffer = new byte[result.Packet!.Length];
        Assert.True(insider.TryDeobfuscate(result.Packet, PacketDirection.ResponderToInitiator, buffer, out Range r));
        Assert.True(SessionPacket.TryRead(buffer.AsSpan()[r], out SessionPacket reset));
        Assert.True(ResetToken.Verify(f.ResponderKey.PublicKey, reset.ResetToken, packet));
        Assert.False(ResetToken.Verify(f.ResponderKey.PublicKey, reset.ResetToken, [.. packet, 0]));
    }
}

/// <summary>Keeps packets and fails every call, as a lost request would.</summary>
internal sealed class CapturingRoundTripper : IRoundTripper
{
    public List<byte[]> Packets { get; } = [];

    public ValueTask<ReadOnlyMemory<byte>> RoundTripAsync(ReadOnlyMemory<byte> packet, TimeSpan delay, TimeSpan timeout, CancellationToken cancellationToken)
    {
        Packets.Add(packet.ToArray());
        return ValueTask.FromException<ReadOnlyMemory<byte>>(new IOException("lost"));
    }
}

/// <summary>Delivers message 1 of each handshake, then drops everything.</summary>
internal sealed class ForwardFirstRoundTripper(IRoundTripper inner) : IRoundTripper
{
    public int Refused;

    public async ValueTask<ReadOnlyMemory<byte>> RoundTripAsync(ReadOnlyMemory<byte> packet, TimeSpan delay, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (timeout != TimeSpan.FromSeconds(10))
        {
            throw new IOException("dropped message 3");
        }

        try
        {
            return await inner.RoundTripAsync(packet, delay, timeout, cancellationToken);
        }
        catch (SessionException)
        {
            Refused++;
            throw;
        }
    }
}
