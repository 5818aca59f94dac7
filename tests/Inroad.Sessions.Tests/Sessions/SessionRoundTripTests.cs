using System.Text;
using Inroad.Sessions.Keys;
using Inroad.Sessions.Obfuscation;

namespace Inroad.Sessions.Tests.Sessions;

public sealed class SessionRoundTripTests
{
    private static CancellationToken Timeout(out CancellationTokenSource cts)
    {
        cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(TimeSpan.FromSeconds(30));
        return cts.Token;
    }

    [Fact]
    public async Task Hundred_round_trips_share_one_session_and_echo()
    {
        using var f = new SessionFixture();
        using var initiator = f.NewInitiator();
        CancellationToken ct = Timeout(out CancellationTokenSource cts);
        using (cts)
        {
            for (int i = 0; i < 100; i++)
            {
                byte[] request = Encoding.ASCII.GetBytes($"request {i}");
                byte[] response = await initiator.RoundTripAsync(f.RoundTripper, f.Identity, request, TimeSpan.Zero, TimeSpan.FromSeconds(5), ct);
                Assert.Equal("re:" + $"request {i}", Encoding.ASCII.GetString(response));
            }
        }

        Assert.Equal(1, f.Responder.SessionCount);
        Assert.Equal(0, f.Responder.PendingHandshakeCount);
        Assert.Equal(initiator.Id, f.LastInitiator);
        Assert.True(initiator.HasSession(f.Identity.PublicKey));
    }

    [Fact]
    public async Task Established_round_trip_allocates_two_packets_two_payload_copies_and_one_task()
    {
        // Debug builds box every async state machine; scripts/test.sh (and CI) test Release.
        bool optimized = typeof(InitiatorSessions).Assembly.GetCustomAttributes(typeof(System.Diagnostics.DebuggableAttribute), false)
            .Cast<System.Diagnostics.DebuggableAttribute>().All(a => !a.IsJITOptimizerDisabled);
        Assert.SkipUnless(optimized, "allocation figures hold for optimized (Release) builds only");
        using var f = new SessionFixture();
        using var initiator = f.NewInitiator();
        byte[] request = new byte[100];
        await initiator.RoundTripAsync(f.RoundTripper, f.Identity, request, TimeSpan.Zero, TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);

        // The in-memory transport completes synchronously, so everything runs on this thread.
        double bytes = Inroad.Testing.AllocationGuard.BytesPerIteration(
            () => initiator.RoundTripAsync(f.RoundTripper, f.Identity, request, TimeSpan.Zero, TimeSpan.FromSeconds(5), CancellationToken.None).GetAwaiter().GetResult());

        // A packet: the ~210-byte session record plus nonce, tag, two varints and on average half the maximum
        // padding (1,000 iterations pin that mean to a couple of bytes), as one byte[] with its 24-byte header.
        const int ArrayHeader = 24;
        int packet = ArrayHeader + 210 + PacketObfuscator.NonceLength + PacketObfuscator.TagLength + 7 + (PacketObfuscator.MaxPadding / 2);
        int payloadCopy = (ArrayHeader + 3 + request.Length + 7) / 8 * 8; // the handler's "re:" echo, then the caller's response array
        Assert.InRange(bytes, 1, (2 * packet) + (2 * payloadCopy) + 96); // + the returned Task<byte[]>; no other task or buffer
    }

    [Fact]
    public async Task Empty_and_large_payloads_round_trip()
    {
        using var f = new SessionFixture();
        using var initiator = f.NewInitiator();
        byte[] empty = await initiator.RoundTripAsync(f.RoundTripper, f.Identity, ReadOnlyMemory<byte>.Empty, TimeSpan.Zero, TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);
        Assert.Equal("re:"u8.ToArray(), empty);
        byte[] big = new byte[60_000];
        new Random(7).NextBytes(big);
        big[0] = (byte)'B';
        byte[] response = await initiator.RoundTripAsync(f.RoundTripper, f.Identity, big, TimeSpan.Zero, TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);
        Assert.Equal(big, response.AsSpan(3).ToArray());
    }

    [Fact]
    public async Task Oversize_request_fails_as_a_caller_error()
    {
        using var f = new SessionFixture();
        using var initiator = f.NewInitiator();
        var e = await Assert.ThrowsAsync<SessionException>(() =>
            initiator.RoundTripAsync(f.RoundTripper, f.Identity, new byte[70_000], TimeSpan.Zero, TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken));
        Assert.Equal(SessionError.PayloadTooLarge, e.Error);
    }

    [Fact]
    public async Task One_way_messages_reach_the_handler_and_return_nothing()
    {
        using var f = new SessionFixture();
        using var initiator = f.NewInitiator();
        await initiator.SendOneWayAsync(f.RoundTripper, f.Identity, "N-first"u8.ToArray(), TimeSpan.Zero, TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);
        await initiator.SendOneWayAsync(f.RoundTripper, f.Identity, "N-second"u8.ToArray(), TimeSpan.Zero, TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);
        Assert.Equal(2, f.HandlerCalls);
        Assert.Equal(1, f.Responder.SessionCount);
    }

    [Fact]
    public async Task Responder_restart_answers_with_a_reset_token_and_the_initiator_rehandshakes()
    {
        using var f = new SessionFixture();
        using var initiator = f.NewInitiator();
        CancellationToken ct = TestContext.Current.CancellationToken;
        await initiator.RoundTripAsync(f.RoundTripper, f.Identity, "a"u8.ToArray(), TimeSpan.Zero, TimeSpan.FromSeconds(5), ct);
        f.Restart();
        Assert.Equal(0, f.Responder.SessionCount);

        var counting = new CountingRoundTripper(f.RoundTripper);
        byte[] response = await initiator.RoundTripAsync(counting, f.Identity, "b"u8.ToArray(), TimeSpan.Zero, TimeSpan.FromSeconds(5), ct);
        Assert.Equal("re:b"u8.ToArray(), response);

        // Transport packet → reset token; message 1 → 2; message 3 → response.
        Assert.Equal(3, counting.Calls);
        Assert.Equal(1, f.Responder.SessionCount);
    }

    [Fact]
    public async Task Session_expired_by_ttl_is_reset_and_reestablished()
    {
        using var f = new SessionFixture(configure: o => o.SessionTtl = TimeSpan.FromMinutes(1));
        using var initiator = f.NewInitiator();
        CancellationToken ct = TestContext.Current.CancellationToken;
        await initiator.RoundTripAsync(f.RoundTripper, f.Identity, "a"u8.ToArray(), TimeSpan.Zero, TimeSpan.FromSeconds(5), ct);
        f.Time.Advance(TimeSpan.FromMinutes(2));
        var counting = new CountingRoundTripper(f.RoundTripper);
        byte[] response = await initiator.RoundTripAsync(counting, f.Identity, "b"u8.ToArray(), TimeSpan.Zero, TimeSpan.FromSeconds(5), ct);
        Assert.Equal("re:b"u8.ToArray(), response);
        Assert.Equal(3, counting.Calls);
    }

    [Fact]
    public async Task Forged_reset_token_is_not_accepted()
    {
        using var f = new SessionFixture();
        using var impostor = new SessionFixture(key: null, secret: f.Secret);
        using var initiator = f.NewInitiator();
        CancellationToken ct = TestContext.Current.CancellationToken;
        await initiator.RoundTripAsync(f.RoundTripper, f.Identity, "a"u8.ToArray(), TimeSpan.Zero, TimeSpan.FromSeconds(5), ct);

        // Same obfuscation secret, other key: its reset token is signed by the wrong key.
        var e = await Assert.ThrowsAsync<SessionException>(() =>
            initiator.RoundTripAsync(impostor.RoundTripper, f.Identity, "b"u8.ToArray(), TimeSpan.Zero, TimeSpan.FromSeconds(5), ct));
        Assert.Equal(SessionError.InvalidResponse, e.Error);
        Assert.True(initiator.HasSession(f.Identity.PublicKey));
    }

    [Fact]
    public async Task Reset_token_for_another_packet_is_not_accepted()
    {
        using var f = new SessionFixture();
        using var initiator = f.NewInitiator();
        CancellationToken ct = TestContext.Current.CancellationToken;
        await initiator.RoundTripAsync(f.RoundTripper, f.Identity, "a"u8.ToArray(), TimeSpan.Zero, TimeSpan.FromSeconds(5), ct);
        f.Restart();

        // Capture a genuine reset for one request, then replay it as the answer to the next.
        var recorder = new CountingRoundTripper(f.RoundTripper) { StopAfterFirst = true };
        await Assert.ThrowsAnyAsync<Exception>(() => initiator.RoundTripAsync(recorder, f.Identity, "b"u8.ToArray(), TimeSpan.Zero, TimeSpan.FromSeconds(5), ct));
        Assert.NotNull(recorder.FirstResponse);

        Assert.True(initiator.HasSession(f.Identity.PublicKey));

        // Same session, next packet: the token signs the earlier packet, so it must not verify.
        var replay = new FixedResponseRoundTripper(recorder.FirstResponse!.Value);
        var e = await Assert.ThrowsAsync<SessionException>(() =>
            initiator.RoundTripAsync(replay, f.Identity, "d"u8.ToArray(), TimeSpan.Zero, TimeSpan.FromSeconds(5), ct));
        Assert.Equal(SessionError.InvalidResponse, e.Error);
    }

    [Fact]
    public async Task Known_initiators_allow_list_admits_listed_keys_only_and_drops_removed_ones()
    {
        using var allowedKey = SessionPrivateKey.Generate();
        using var f = new SessionFixture(configure: o => o.KnownInitiators = [allowedKey.PublicKey], key: null);
        using var allowed = f.NewInitiator(allowedKey);
        using var stranger = f.NewInitiator();
        CancellationToken ct = TestContext.Current.CancellationToken;

        Assert.Equal("re:x"u8.ToArray(), await allowed.RoundTripAsync(f.RoundTripper, f.Identity, "x"u8.ToArray(), TimeSpan.Zero, TimeSpan.FromSeconds(5), ct));
        await Assert.ThrowsAsync<SessionException>(() => stranger.RoundTripAsync(f.RoundTripper, f.Identity, "x"u8.ToArray(), TimeSpan.Zero, TimeSpan.FromSeconds(5), ct));
        Assert.Equal(1, f.HandlerCalls);
        Assert.Equal(1, f.Responder.SessionCount);

        f.Responder.SetKnownInitiators([allowedKey.PublicKey, stranger.PublicKey]);
        Assert.Equal(1, f.Responder.SessionCount);
        f.Responder.SetKnownInitiators([stranger.PublicKey]);
        Assert.Equal(0, f.Responder.SessionCount);
    }

    [Fact]
    public async Task Wrong_responder_key_fails_the_handshake()
    {
        using var f = new SessionFixture();
        using var initiator = f.NewInitiator();
        using var other = SessionPrivateKey.Generate();
        var wrong = new ResponderIdentity(other.PublicKey, f.Secret);
        var e = await Assert.ThrowsAsync<SessionException>(() =>
            initiator.RoundTripAsync(f.RoundTripper, wrong, "x"u8.ToArray(), TimeSpan.Zero, TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken));
        Assert.True(e.Error is SessionError.HandshakeFailed or SessionError.InvalidResponse, e.Error.ToString());
        Assert.Equal(0, f.HandlerCalls);
    }

    [Fact]
    public async Task Transport_failure_during_a_handshake_fails_waiters_too()
    {
        using var f = new SessionFixture();
        using var initiator = f.NewInitiator();
        var gate = new GatedRoundTripper();
        CancellationToken ct = TestContext.Current.CancellationToken;
        Task<byte[]> owner = initiator.RoundTripAsync(gate, f.Identity, "a"u8.ToArray(), TimeSpan.Zero, TimeSpan.FromSeconds(5), ct);
        await gate.Entered.Task.WaitAsync(TimeSpan.FromSeconds(10), ct);
        Task<byte[]> waiter = initiator.RoundTripAsync(gate, f.Identity, "b"u8.ToArray(), TimeSpan.Zero, TimeSpan.FromSeconds(5), ct);
        gate.Fail();
        var e1 = await Assert.ThrowsAsync<SessionException>(() => owner);
        var e2 = await Assert.ThrowsAsync<SessionException>(() => waiter);
        Assert.Equal(SessionError.TransportFailed, e1.Error);
        Assert.Equal(SessionError.HandshakeFailed, e2.Error);
        Assert.True(e2.IsTransient);
        Assert.Equal(1, gate.Calls);

        // The caller retries and succeeds.
        Assert.Equal("re:c"u8.ToArray(), await initiator.RoundTripAsync(f.RoundTripper, f.Identity, "c"u8.ToArray(), TimeSpan.Zero, TimeSpan.FromSeconds(5), ct));
    }
}
