namespace Inroad.Sessions.Tests.Sessions;

/// <summary>
/// One-way messages over a relay that cannot wait for the responder (broker → client → tunnel server): delivery
/// completes at hand-over, and a reset token that comes back later makes the next message handshake again.
/// </summary>
public sealed class OneWayRelayTests
{
    /// <summary>Hands a one-way packet over and returns at once; remembers it so the test can play the client.</summary>
    private sealed class HandOverRoundTripper(IRoundTripper inner) : IRoundTripper
    {
        public List<byte[]> Delivered { get; } = [];

        public int RoundTrips;

        public ValueTask<ReadOnlyMemory<byte>> RoundTripAsync(ReadOnlyMemory<byte> packet, TimeSpan delay, TimeSpan timeout, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref RoundTrips);
            return inner.RoundTripAsync(packet, delay, timeout, cancellationToken);
        }

        public ValueTask<ReadOnlyMemory<byte>> DeliverOneWayAsync(ReadOnlyMemory<byte> packet, TimeSpan delay, TimeSpan timeout, CancellationToken cancellationToken)
        {
            Delivered.Add(packet.ToArray());
            return ValueTask.FromResult(ReadOnlyMemory<byte>.Empty);
        }
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Established_session_delivers_a_one_way_message_without_a_round_trip()
    {
        using var f = new SessionFixture();
        using InitiatorSessions initiator = f.NewInitiator(waitToShare: false);
        await initiator.RoundTripAsync(f.RoundTripper, f.Identity, "hello"u8.ToArray(), TimeSpan.Zero, TimeSpan.FromSeconds(5), Ct);
        var relay = new HandOverRoundTripper(f.RoundTripper);

        await initiator.SendOneWayAsync(relay, f.Identity, "N-report"u8.ToArray(), TimeSpan.Zero, TimeSpan.FromSeconds(5), Ct);

        Assert.Equal(0, relay.RoundTrips);
        byte[] packet = Assert.Single(relay.Delivered);
        int before = f.HandlerCalls;
        ResponderResult result = await f.Responder.HandlePacketAsync(packet, f.Handler, Ct);
        Assert.Equal(ResponderResultKind.NoReply, result.Kind);
        Assert.Equal(before + 1, f.HandlerCalls);
    }

    [Fact]
    public async Task Fresh_session_hands_message_three_over_and_counts_as_established()
    {
        using var f = new SessionFixture();
        using InitiatorSessions initiator = f.NewInitiator(waitToShare: false);
        var relay = new HandOverRoundTripper(f.RoundTripper);

        await initiator.SendOneWayAsync(relay, f.Identity, "N-report"u8.ToArray(), TimeSpan.Zero, TimeSpan.FromSeconds(5), Ct);

        Assert.Equal(1, relay.RoundTrips); // message 1 → message 2
        Assert.Equal(0, f.HandlerCalls);
        ResponderResult result = await f.Responder.HandlePacketAsync(Assert.Single(relay.Delivered), f.Handler, Ct);
        Assert.Equal(ResponderResultKind.NoReply, result.Kind);
        Assert.Equal(1, f.HandlerCalls);
        Assert.True(initiator.HasSession(f.Identity.PublicKey));
    }

    [Fact]
    public async Task Late_reset_token_from_a_restarted_responder_forgets_the_session_and_the_next_message_handshakes()
    {
        using var f = new SessionFixture();
        using InitiatorSessions initiator = f.NewInitiator(waitToShare: false);
        await initiator.RoundTripAsync(f.RoundTripper, f.Identity, "hello"u8.ToArray(), TimeSpan.Zero, TimeSpan.FromSeconds(5), Ct);
        f.Restart();
        int calls = f.HandlerCalls;
        var relay = new HandOverRoundTripper(f.RoundTripper);
        await initiator.SendOneWayAsync(relay, f.Identity, "N-report"u8.ToArray(), TimeSpan.Zero, TimeSpan.FromSeconds(5), Ct);
        byte[] sent = Assert.Single(relay.Delivered);

        ResponderResult reset = await f.Responder.HandlePacketAsync(sent, f.Handler, Ct);
        Assert.Equal(ResponderResultKind.Reply, reset.Kind);
        Assert.Equal(calls, f.HandlerCalls);

        // Garbage and a token for another packet change nothing.
        Assert.False(initiator.AcceptLateReset(f.Identity, new byte[80], sent));
        Assert.False(initiator.AcceptLateReset(f.Identity, reset.Packet, [.. sent, 0]));
        Assert.True(initiator.HasSession(f.Identity.PublicKey));

        Assert.True(initiator.AcceptLateReset(f.Identity, reset.Packet, sent));
        Assert.False(initiator.HasSession(f.Identity.PublicKey));

        await initiator.SendOneWayAsync(relay, f.Identity, "N-again"u8.ToArray(), TimeSpan.Zero, TimeSpan.FromSeconds(5), Ct);
        Assert.Equal(1, relay.RoundTrips);
        ResponderResult result = await f.Responder.HandlePacketAsync(relay.Delivered[^1], f.Handler, Ct);
        Assert.Equal(ResponderResultKind.NoReply, result.Kind);
        Assert.Equal(calls + 1, f.HandlerCalls);
    }

    [Fact]
    public async Task Reset_token_signed_by_another_key_is_refused()
    {
        using var f = new SessionFixture();
        using var other = new SessionFixture(secret: f.Secret);
        using InitiatorSessions initiator = f.NewInitiator(waitToShare: false);
        await initiator.RoundTripAsync(f.RoundTripper, f.Identity, "hello"u8.ToArray(), TimeSpan.Zero, TimeSpan.FromSeconds(5), Ct);
        var relay = new HandOverRoundTripper(f.RoundTripper);
        await initiator.SendOneWayAsync(relay, f.Identity, "N-report"u8.ToArray(), TimeSpan.Zero, TimeSpan.FromSeconds(5), Ct);
        byte[] sent = Assert.Single(relay.Delivered);

        // Same obfuscation secret, other key: the packet deobfuscates there, is unknown, and gets that key's token.
        ResponderResult forged = await other.Responder.HandlePacketAsync(sent, other.Handler, Ct);
        Assert.Equal(ResponderResultKind.Reply, forged.Kind);
        Assert.False(initiator.AcceptLateReset(f.Identity, forged.Packet, sent));
        Assert.True(initiator.HasSession(f.Identity.PublicKey));
    }
}
