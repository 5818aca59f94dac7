using System.Buffers;
using Inroad.Sessions.Keys;
using Inroad.Sessions.Noise;
using Inroad.Sessions.Obfuscation;
using Inroad.Sessions.Records;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Inroad.Sessions;

/// <summary>
/// The initiator side (client, proxy, broker towards a tunnel server): one Noise XK session per responder key,
/// shared by concurrent round trips once established. A fresh session costs two network round trips (message 1,
/// then message 3 carrying the first request); later requests cost one. Handshakes may run concurrently; with
/// <see cref="InitiatorSessionsOptions.WaitToShareSession"/> later callers wait for the first instead. A session is
/// "ready to share" only after its first request got a response (which proves the responder has it). When the
/// responder answers with a valid reset token (it lost the session), the round trip handshakes again once.
/// Thread-safe.
/// </summary>
public sealed class InitiatorSessions : IDisposable
{
    private readonly Lock _lock = new();
    private readonly Dictionary<PeerId, ResponderSlot> _slots = []; // guarded by _lock
    private readonly SessionPrivateKey _key;
    private readonly bool _ownsKey;
    private readonly InitiatorSessionsOptions _options;
    private readonly ILogger _logger;

    /// <summary>Creates the sessions; validates <paramref name="options"/>.</summary>
    public InitiatorSessions(InitiatorSessionsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _ownsKey = options.PrivateKey is null;
        _key = options.PrivateKey ?? SessionPrivateKey.Generate();
        _logger = (ILogger?)options.LoggerFactory?.CreateLogger("Inroad.Sessions") ?? NullLogger.Instance;
    }

    /// <summary>Our ID as responders see it.</summary>
    public PeerId Id => _key.Id;

    /// <summary>Our public key.</summary>
    public SessionPublicKey PublicKey => _key.PublicKey;

    /// <summary>
    /// Sends <paramref name="request"/> (a record) to <paramref name="responder"/> over <paramref name="roundTripper"/>
    /// and returns the response payload.
    /// </summary>
    /// <param name="roundTripper">The transport.</param>
    /// <param name="responder">Who to talk to.</param>
    /// <param name="request">The request payload.</param>
    /// <param name="requestDelay">Delay before the request packet (handshake packets go without delay).</param>
    /// <param name="requestTimeout">Network timeout of the request packet (handshake packets use the handshake timeout).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="SessionException">The round trip failed; <see cref="SessionException.IsTransient"/> says whether to retry.</exception>
    public async Task<byte[]> RoundTripAsync(
        IRoundTripper roundTripper,
        ResponderIdentity responder,
        ReadOnlyMemory<byte> request,
        TimeSpan requestDelay,
        TimeSpan requestTimeout,
        CancellationToken cancellationToken)
    {
        byte[]? response = await RunAsync(roundTripper, responder, request, requestDelay, requestTimeout, oneWay: false, cancellationToken).ConfigureAwait(false);
        return response!;
    }

    /// <summary>
    /// Sends a one-way message (the responder's handler returns no response), handshaking first if needed.
    /// Completes when the transport delivered the packet.
    /// </summary>
    public async Task SendOneWayAsync(
        IRoundTripper roundTripper,
        ResponderIdentity responder,
        ReadOnlyMemory<byte> message,
        TimeSpan delay,
        TimeSpan timeout,
        CancellationToken cancellationToken) =>
        await RunAsync(roundTripper, responder, message, delay, timeout, oneWay: true, cancellationToken).ConfigureAwait(false);

    /// <summary>Forgets the session with <paramref name="responder"/> (the next round trip handshakes).</summary>
    public void RemoveSession(SessionPublicKey responder)
    {
        ArgumentNullException.ThrowIfNull(responder);
        lock (_lock)
        {
            // Keep the slot (its obfuscator); forget the sessions. A handshake in progress finishes on its own.
            if (_slots.TryGetValue(responder.Id, out ResponderSlot? slot))
            {
                slot.Established = null;
            }
        }
    }

    /// <summary>
    /// Takes a reply to a one-way packet that came after <see cref="SendOneWayAsync"/> returned (a relayed responder
    /// answers through a later request). True only when it is a reset token signed by <paramref name="responder"/>
    /// over exactly <paramref name="sentPacket"/>; the session it names is then forgotten, so the next message
    /// handshakes. Anything else (garbage, a forged or replayed token) is false and changes nothing: a relaying
    /// party cannot kill a session. Never throws for bad input.
    /// </summary>
    /// <param name="responder">Who the packet was for.</param>
    /// <param name="reply">The obfuscated reply.</param>
    /// <param name="sentPacket">The exact obfuscated packet we delivered last.</param>
    public bool AcceptLateReset(ResponderIdentity responder, ReadOnlySpan<byte> reply, ReadOnlySpan<byte> sentPacket)
    {
        ArgumentNullException.ThrowIfNull(responder);
        ResponderSlot slot = GetSlot(responder);
        byte[] buffer = PacketObfuscator.RentBuffer(reply.Length);
        try
        {
            if (!slot.Obfuscator.TryDeobfuscate(reply, PacketDirection.ResponderToInitiator, buffer, out Range range) ||
                !SessionPacket.TryRead(buffer.AsSpan()[range], out SessionPacket packet) ||
                packet.ResetToken.IsEmpty ||
                !ResetToken.Verify(responder.PublicKey, packet.ResetToken, sentPacket))
            {
                return false;
            }

            lock (_lock)
            {
                // A newer session (another handshake) is not the one the responder lost: keep it.
                if (slot.Established is { } established && established.Id.Equals(packet.SessionId))
                {
                    slot.Established = null;
                }
            }

            SessionsLog.InitiatorReset(_logger, responder.PublicKey.Id.ToString());
            return true;
        }
        finally
        {
            PacketObfuscator.ReturnBuffer(buffer);
        }
    }

    /// <summary>True when an established session with <paramref name="responder"/> is ready to share.</summary>
    public bool HasSession(SessionPublicKey responder)
    {
        ArgumentNullException.ThrowIfNull(responder);
        lock (_lock)
        {
            return _slots.TryGetValue(responder.Id, out ResponderSlot? slot) && slot.Established is not null;
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            foreach (ResponderSlot slot in _slots.Values)
            {
                slot.Obfuscator.Dispose();
            }

            _slots.Clear();
        }

        if (_ownsKey)
        {
            _key.Dispose();
        }
    }

    private async ValueTask<byte[]?> RunAsync(
        IRoundTripper roundTripper,
        ResponderIdentity responder,
        ReadOnlyMemory<byte> request,
        TimeSpan delay,
        TimeSpan timeout,
        bool oneWay,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(roundTripper);
        ArgumentNullException.ThrowIfNull(responder);
        ResponderSlot slot = GetSlot(responder);
        bool reset = false;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            Session? session;
            Task<bool>? sharedHandshake = null;
            bool own = false;
            lock (_lock)
            {
                session = slot.Established;
                if (session is null)
                {
                    if (_options.WaitToShareSession && slot.Pending is { } pending)
                    {
                        sharedHandshake = pending.Ready.Task;
                    }
                    else
                    {
                        session = new Session(Id32.NewRandom());
                        slot.Pending ??= session;
                        own = true;
                    }
                }
            }

            if (sharedHandshake is not null)
            {
                if (!await sharedHandshake.WaitAsync(cancellationToken).ConfigureAwait(false))
                {
                    throw Fail(responder, new SessionException(SessionError.HandshakeFailed, "the handshake this round trip waited for failed"));
                }

                continue;
            }

            Outcome outcome;
            try
            {
                outcome = own
                    ? await HandshakeAsync(slot, session!, roundTripper, request, delay, timeout, oneWay, cancellationToken).ConfigureAwait(false)
                    : await TransportAsync(slot, session!, roundTripper, request, delay, timeout, oneWay, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                if (own)
                {
                    Abandon(slot, session!);
                }

                if (e is OperationCanceledException && cancellationToken.IsCancellationRequested)
                {
                    throw;
                }

                throw Fail(responder, e as SessionException ?? new SessionException(SessionError.TransportFailed, "round tripper failed", e));
            }

            if (outcome.Reset)
            {
                lock (_lock)
                {
                    if (slot.Established == session)
                    {
                        slot.Established = null;
                    }
                }

                if (own)
                {
                    Abandon(slot, session!);
                }

                if (reset)
                {
                    throw Fail(responder, new SessionException(SessionError.ResetLoop, "responder reset the session twice in one round trip"));
                }

                reset = true;
                SessionsLog.InitiatorReset(_logger, responder.PublicKey.Id.ToString());
                continue;
            }

            if (own)
            {
                lock (_lock)
                {
                    slot.Established = session;
                    if (slot.Pending == session)
                    {
                        slot.Pending = null;
                    }
                }

                session!.Ready.TrySetResult(true);
                SessionsLog.InitiatorEstablished(_logger, responder.PublicKey.Id.ToString());
            }

            return outcome.Response;
        }
    }

    private SessionException Fail(ResponderIdentity responder, SessionException e)
    {
        SessionsLog.InitiatorFailed(_logger, responder.PublicKey.Id.ToString(), e.Error);
        return e;
    }

    private void Abandon(ResponderSlot slot, Session session)
    {
        lock (_lock)
        {
            if (slot.Pending == session)
            {
                slot.Pending = null;
            }
        }

        session.Ready.TrySetResult(false);
    }

    private ResponderSlot GetSlot(ResponderIdentity responder)
    {
        lock (_lock)
        {
            if (!_slots.TryGetValue(responder.PublicKey.Id, out ResponderSlot? slot) || slot.Identity != responder)
            {
                // A changed identity record (new obfuscation secret) starts afresh.
                slot?.Obfuscator.Dispose();
                slot = new ResponderSlot(responder, new PacketObfuscator(responder.ObfuscationSecret, _options.TimeProvider, history: null, TimeSpan.Zero));
                _slots[responder.PublicKey.Id] = slot;
            }

            return slot;
        }
    }

    private async ValueTask<Outcome> HandshakeAsync(
        ResponderSlot slot,
        Session session,
        IRoundTripper roundTripper,
        ReadOnlyMemory<byte> request,
        TimeSpan delay,
        TimeSpan timeout,
        bool oneWay,
        CancellationToken cancellationToken)
    {
        using var handshake = new HandshakeState(
            NoiseProtocol.XkBlake2b, initiator: true, SessionPrologue.Create(session.Id), _key.X25519, slot.Identity.PublicKey.X25519, staticPublicKey: _key.PublicKey.X25519);

        // -> e, es
        byte[] message1 = WriteHandshake(slot, session, handshake, default);
        ReadOnlyMemory<byte> reply1 = await roundTripper.RoundTripAsync(message1, TimeSpan.Zero, _options.HandshakeTimeout, cancellationToken).ConfigureAwait(false);

        // <- e, ee
        Outcome? early = ReadHandshakeReply(slot, session, handshake, reply1.Span, message1);
        if (early is not null)
        {
            return early.Value;
        }

        // -> s, se + first request
        Id32 roundTripId = Id32.NewRandom();
        byte[] message3 = WriteHandshake(slot, session, handshake, request.Span, roundTripId);
        (CipherState send, CipherState receive) = handshake.Split();
        session.Ciphers = new TransportCiphers(send, receive);
        ReadOnlyMemory<byte> reply3 = await SendAsync(roundTripper, message3, delay, timeout, oneWay, cancellationToken).ConfigureAwait(false);
        return ReadTransportReply(slot, session, reply3.Span, message3, roundTripId, oneWay);
    }

    private async ValueTask<Outcome> TransportAsync(
        ResponderSlot slot,
        Session session,
        IRoundTripper roundTripper,
        ReadOnlyMemory<byte> request,
        TimeSpan delay,
        TimeSpan timeout,
        bool oneWay,
        CancellationToken cancellationToken)
    {
        Id32 roundTripId = Id32.NewRandom();
        byte[] packet = SessionPackets.Transport(slot.Obfuscator, PacketDirection.InitiatorToResponder, session.Id, session.Ciphers!, roundTripId, request.Span);
        ReadOnlyMemory<byte> reply = await SendAsync(roundTripper, packet, delay, timeout, oneWay, cancellationToken).ConfigureAwait(false);
        return ReadTransportReply(slot, session, reply.Span, packet, roundTripId, oneWay);
    }

    // The packet that carries the request: a one-way message's goes out by delivery, which a relay completes at hand-over.
    private static ValueTask<ReadOnlyMemory<byte>> SendAsync(IRoundTripper roundTripper, byte[] packet, TimeSpan delay, TimeSpan timeout, bool oneWay, CancellationToken cancellationToken) =>
        oneWay
            ? roundTripper.DeliverOneWayAsync(packet, delay, timeout, cancellationToken)
            : roundTripper.RoundTripAsync(packet, delay, timeout, cancellationToken);

    private static byte[] WriteHandshake(ResponderSlot slot, Session session, HandshakeState handshake, ReadOnlySpan<byte> request, Id32 roundTripId = default)
    {
        int plainLength = request.IsEmpty && roundTripId.IsZero ? 0 : SessionRoundTrip.EncodedLength(request.Length);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(plainLength + HandshakeState.Overhead());
        byte[] plain = ArrayPool<byte>.Shared.Rent(Math.Max(1, plainLength));
        try
        {
            int p = plainLength == 0 ? 0 : SessionPackets.RoundTripRecord(roundTripId, request, plain);
            int n = handshake.WriteMessage(plain.AsSpan(0, p), buffer);
            if (n > HandshakeState.MaxMessageLength)
            {
                throw new SessionException(SessionError.PayloadTooLarge, "request too large for a handshake message");
            }

            return SessionPackets.Handshake(slot.Obfuscator, PacketDirection.InitiatorToResponder, session.Id, buffer.AsSpan(0, n));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            ArrayPool<byte>.Shared.Return(plain, clearArray: true);
        }
    }

    /// <summary>Null when message 2 was read; otherwise the outcome (a verified reset).</summary>
    private static Outcome? ReadHandshakeReply(ResponderSlot slot, Session session, HandshakeState handshake, ReadOnlySpan<byte> reply, ReadOnlySpan<byte> sent)
    {
        byte[] buffer = PacketObfuscator.RentBuffer(reply.Length);
        try
        {
            if (OpenReply(slot, session, reply, sent, buffer, SessionError.HandshakeFailed, out SessionPacket packet))
            {
                return Outcome.ResetRequested;
            }

            Span<byte> payload = stackalloc byte[64];
            if (packet.Nonce != 0 || packet.Payload.Length > HandshakeState.MaxMessageLength ||
                handshake.ReadMessage(packet.Payload, payload) != 0)
            {
                throw new SessionException(SessionError.HandshakeFailed, "handshake message 2 did not authenticate");
            }

            return null;
        }
        finally
        {
            PacketObfuscator.ReturnBuffer(buffer);
        }
    }

    private static Outcome ReadTransportReply(ResponderSlot slot, Session session, ReadOnlySpan<byte> reply, ReadOnlySpan<byte> sent, Id32 roundTripId, bool oneWay)
    {
        if (reply.IsEmpty)
        {
            return oneWay ? new Outcome(false, null) : throw new SessionException(SessionError.InvalidResponse, "empty response to a request");
        }

        byte[] buffer = PacketObfuscator.RentBuffer(reply.Length);
        byte[] plain = PacketObfuscator.RentBuffer(reply.Length);
        try
        {
            if (OpenReply(slot, session, reply, sent, buffer, SessionError.InvalidResponse, out SessionPacket packet))
            {
                return Outcome.ResetRequested;
            }

            int n = session.Ciphers!.Open(packet.Nonce, packet.Payload, plain);
            if (n < 0 || !SessionRoundTrip.TryRead(plain.AsSpan(0, n), out SessionRoundTrip roundTrip))
            {
                throw new SessionException(SessionError.InvalidResponse, "response did not authenticate");
            }

            if (!roundTrip.RoundTripId.Equals(roundTripId))
            {
                throw new SessionException(SessionError.InvalidResponse, "response carries another round trip's ID");
            }

            return new Outcome(false, roundTrip.Payload.ToArray());
        }
        finally
        {
            PacketObfuscator.ReturnBuffer(buffer);
            PacketObfuscator.ReturnBuffer(plain);
        }
    }

    /// <summary>
    /// Deobfuscates and parses a reply of <paramref name="session"/>. True when it is a reset token that verifies
    /// against <paramref name="sent"/>; throws <paramref name="error"/> for anything invalid.
    /// </summary>
    private static bool OpenReply(ResponderSlot slot, Session session, ReadOnlySpan<byte> reply, ReadOnlySpan<byte> sent, byte[] buffer, SessionError error, out SessionPacket packet)
    {
        if (!slot.Obfuscator.TryDeobfuscate(reply, PacketDirection.ResponderToInitiator, buffer, out Range range) ||
            !SessionPacket.TryRead(buffer.AsSpan()[range], out packet) ||
            !packet.SessionId.Equals(session.Id))
        {
            throw new SessionException(error, "reply did not deobfuscate or parse");
        }

        if (packet.ResetToken.IsEmpty)
        {
            return false;
        }

        return ResetToken.Verify(slot.Identity.PublicKey, packet.ResetToken, sent)
            ? true
            : throw new SessionException(error, "invalid reset token");
    }

    private readonly record struct Outcome(bool Reset, byte[]? Response)
    {
        public static Outcome ResetRequested => new(true, null);
    }

    /// <summary>Per responder: its identity, obfuscator, and the current sessions.</summary>
    private sealed class ResponderSlot(ResponderIdentity identity, PacketObfuscator obfuscator)
    {
        public ResponderIdentity Identity { get; } = identity;

        public PacketObfuscator Obfuscator { get; } = obfuscator;

        /// <summary>The session new round trips share; guarded by the owner's lock.</summary>
        public Session? Established { get; set; }

        /// <summary>The first handshake in progress, for round trips that wait to share; guarded by the owner's lock.</summary>
        public Session? Pending { get; set; }
    }

    /// <summary>One Noise session.</summary>
    private sealed class Session(Id32 id)
    {
        public Id32 Id { get; } = id;

        /// <summary>Set once, before the session becomes shared.</summary>
        public TransportCiphers? Ciphers { get; set; }

        /// <summary>True when established, false when the handshake failed.</summary>
        public TaskCompletionSource<bool> Ready { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
