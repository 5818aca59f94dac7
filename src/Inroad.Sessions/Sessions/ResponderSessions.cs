using Inroad.Sessions.Keys;
using Inroad.Sessions.Noise;
using Inroad.Sessions.Obfuscation;
using Inroad.Sessions.Records;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Inroad.Sessions;

/// <summary>
/// The responder side (broker, tunnel server): deobfuscates each packet, runs the XK responder handshake,
/// decrypts requests of established sessions (out of order, with a sliding anti-replay window), hands them to a
/// <see cref="SessionRequestHandler"/> and seals the responses. Established sessions live in an LRU with an
/// idle TTL; half-done handshakes in a second, smaller one, which bounds them. A packet for a session it does not
/// know gets a signed reset token, so the initiator re-handshakes. Invalid packets are rejected without touching
/// any session: a relaying client cannot kill a session by sending garbage. Thread-safe.
/// </summary>
public sealed class ResponderSessions : IDisposable
{
    private readonly SessionPrivateKey _key;
    private readonly PacketObfuscator _obfuscator;
    private readonly ExpiringLru<EstablishedSession> _sessions;
    private readonly ExpiringLru<PendingHandshake> _handshakes;
    private readonly ILogger _logger;
    private readonly int _maxHandshakes;
    private volatile HashSet<PeerId>? _knownInitiators;

    /// <summary>Creates the sessions; validates <paramref name="options"/>.</summary>
    public ResponderSessions(ResponderSessionsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _key = options.PrivateKey!;
        var history = new ReplayHistory(options.ReplayHistoryCapacity, 0.001, options.ReplayHistoryPeriod, options.TimeProvider);
        _obfuscator = new PacketObfuscator(options.ObfuscationSecret!, options.TimeProvider, history, options.ReplayHistoryPeriod / 2);
        _sessions = new ExpiringLru<EstablishedSession>(options.MaxSessions, options.SessionTtl, options.TimeProvider);
        _handshakes = new ExpiringLru<PendingHandshake>(options.MaxConcurrentHandshakes, options.HandshakeTtl, options.TimeProvider);
        _maxHandshakes = options.MaxConcurrentHandshakes;
        _knownInitiators = options.KnownInitiators is null ? null : [.. options.KnownInitiators.Select(k => k.Id)];
        _logger = (ILogger?)options.LoggerFactory?.CreateLogger("Inroad.Sessions") ?? NullLogger.Instance;
    }

    /// <summary>Our ID as initiators see it.</summary>
    public PeerId Id => _key.Id;

    /// <summary>Established sessions currently held.</summary>
    public int SessionCount => _sessions.Count;

    /// <summary>Handshakes waiting for message 3.</summary>
    public int PendingHandshakeCount => _handshakes.Count;

    /// <summary>
    /// Replaces the known-initiators allow-list (null: anyone). Sessions of initiators no longer listed are dropped
    /// at once; sessions of those still listed are kept.
    /// </summary>
    public void SetKnownInitiators(IEnumerable<SessionPublicKey>? initiators)
    {
        HashSet<PeerId>? set = initiators is null ? null : [.. initiators.Select(k => k.Id)];
        _knownInitiators = set;
        if (set is not null)
        {
            _sessions.RemoveWhere(s => !set.Contains(s.InitiatorId));
        }
    }

    /// <summary>
    /// Handles one packet from the network. Never throws for bad input (the result says <see cref="ResponderResultKind.Rejected"/>);
    /// exceptions from <paramref name="handler"/> propagate.
    /// </summary>
    public async ValueTask<ResponderResult> HandlePacketAsync(ReadOnlyMemory<byte> packet, SessionRequestHandler handler, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(handler);
        byte[] record = PacketObfuscator.RentBuffer(packet.Length);
        byte[] plain = PacketObfuscator.RentBuffer(packet.Length);
        try
        {
            Step step = Process(packet.Span, record, plain);
            if (step.Result is { } immediate)
            {
                return immediate;
            }

            EstablishedSession session = step.Session!;
            byte[]? response = await handler(session.InitiatorId, plain.AsMemory(step.Payload), cancellationToken).ConfigureAwait(false);
            if (response is null)
            {
                return ResponderResult.NoReply;
            }

            return ResponderResult.Reply(SessionPackets.Transport(
                _obfuscator, PacketDirection.ResponderToInitiator, session.Id, session.Ciphers, step.RoundTripId, response));
        }
        finally
        {
            PacketObfuscator.ReturnBuffer(record);
            PacketObfuscator.ReturnBuffer(plain);
        }
    }

    public void Dispose() => _obfuscator.Dispose();

    private Step Process(ReadOnlySpan<byte> obfuscated, byte[] recordBuffer, byte[] plain)
    {
        if (!_obfuscator.TryDeobfuscate(obfuscated, PacketDirection.InitiatorToResponder, recordBuffer, out Range range) ||
            !SessionPacket.TryRead(recordBuffer.AsSpan()[range], out SessionPacket packet) ||
            !packet.ResetToken.IsEmpty)
        {
            return Step.Rejected;
        }

        if (_sessions.TryGet(packet.SessionId, out EstablishedSession? established))
        {
            int n = established!.Ciphers.Open(packet.Nonce, packet.Payload, plain);
            return n < 0 ? Step.Rejected : Request(established, plain, n);
        }

        if (_handshakes.TryGet(packet.SessionId, out PendingHandshake? pending))
        {
            return packet.Nonce == 0 ? CompleteHandshake(pending!, packet, plain) : Step.Rejected;
        }

        // Unknown session: a first message, or a packet of a session we no longer have (design §3.5).
        return packet.Nonce == 0 ? StartHandshake(packet, obfuscated) : Reset(packet.SessionId, obfuscated);
    }

    private Step StartHandshake(SessionPacket packet, ReadOnlySpan<byte> obfuscated)
    {
        var handshake = new HandshakeState(NoiseProtocol.XkBlake2b, initiator: false, SessionPrologue.Create(packet.SessionId), _key.X25519, default, staticPublicKey: _key.PublicKey.X25519);
        Span<byte> payload = stackalloc byte[64];
        if (packet.Payload.Length > HandshakeState.MaxMessageLength || handshake.ReadMessage(packet.Payload, payload) != 0)
        {
            handshake.Dispose();
            return Reset(packet.SessionId, obfuscated);
        }

        if (!_handshakes.HasRoom())
        {
            handshake.Dispose();
            SessionsLog.ResponderHandshakesFull(_logger, _maxHandshakes);
            return Step.Rejected;
        }

        Span<byte> message2 = stackalloc byte[HandshakeState.Overhead(2)];
        int n = handshake.WriteMessage(default, message2);
        if (!_handshakes.TryAdd(packet.SessionId, new PendingHandshake(handshake), evictWhenFull: false))
        {
            handshake.Dispose();
            return Step.Rejected;
        }

        return new Step(ResponderResult.Reply(SessionPackets.Handshake(_obfuscator, PacketDirection.ResponderToInitiator, packet.SessionId, message2[..n])));
    }

    private Step CompleteHandshake(PendingHandshake pending, SessionPacket packet, byte[] plain)
    {
        EstablishedSession session;
        lock (pending)
        {
            if (pending.Done || packet.Payload.Length > HandshakeState.MaxMessageLength)
            {
                return Step.Rejected;
            }

            int n = pending.Handshake.ReadMessage(packet.Payload, plain);
            if (n < 0)
            {
                return Step.Rejected;
            }

            pending.Done = true;
            var initiatorId = new PeerId(pending.Handshake.RemoteStaticPublicKey);
            (CipherState i2r, CipherState r2i) = pending.Handshake.Split();
            pending.Handshake.Dispose();
            session = new EstablishedSession(packet.SessionId, initiatorId, new TransportCiphers(r2i, i2r));
            pending.PlainLength = n;
        }

        _handshakes.Remove(packet.SessionId);
        HashSet<PeerId>? known = _knownInitiators;
        if (known is not null && !known.Contains(session.InitiatorId))
        {
            SessionsLog.ResponderUnknownInitiator(_logger, session.InitiatorId.ToString());
            return Step.Rejected;
        }

        _sessions.TryAdd(session.Id, session, evictWhenFull: true);
        SessionsLog.ResponderEstablished(_logger, session.InitiatorId.ToString());
        return Request(session, plain, pending.PlainLength);
    }

    private Step Reset(Id32 sessionId, ReadOnlySpan<byte> obfuscated) =>
        new(ResponderResult.Reply(SessionPackets.Reset(_obfuscator, sessionId, ResetToken.Create(_key, obfuscated))));

    private static Step Request(EstablishedSession session, byte[] plain, int length)
    {
        if (!SessionRoundTrip.TryRead(plain.AsSpan(0, length), out SessionRoundTrip roundTrip))
        {
            return Step.Rejected;
        }

        // The payload is a slice of the plaintext record: find its offset without copying.
        int offset = roundTrip.Payload.IsEmpty ? 0 : length - roundTrip.Payload.Length;
        return new Step(null, session, roundTrip.RoundTripId, offset..(offset + roundTrip.Payload.Length));
    }

    private readonly record struct Step(ResponderResult? Result, EstablishedSession? Session = null, Id32 RoundTripId = default, Range Payload = default)
    {
        public static Step Rejected => new(ResponderResult.Rejected);
    }

    /// <summary>An established session.</summary>
    private sealed class EstablishedSession(Id32 id, PeerId initiatorId, TransportCiphers ciphers)
    {
        public Id32 Id { get; } = id;

        public PeerId InitiatorId { get; } = initiatorId;

        public TransportCiphers Ciphers { get; } = ciphers;
    }

    /// <summary>A handshake between messages 1 and 3; guarded by locking the instance.</summary>
    private sealed class PendingHandshake(HandshakeState handshake)
    {
        public HandshakeState Handshake { get; } = handshake;

        public bool Done { get; set; }

        public int PlainLength { get; set; }
    }
}
