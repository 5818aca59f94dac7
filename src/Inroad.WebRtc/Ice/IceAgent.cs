using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Inroad.WebRtc.Stun;

namespace Inroad.WebRtc.Ice;

/// <summary>
/// The sans-IO ICE agent (RFC 8445, full, one component, no trickle, no TURN) with RFC 7675 consent freshness.
/// It takes datagrams and the time, and returns datagrams to send (<see cref="TryDequeueTransmit"/>) and the
/// next time it wants to be called (<see cref="NextTimeout"/>). It is not thread-safe: one owner drives it.
/// The wire shape is Chromium's: checks carry USERNAME, GOOG-NETWORK-INFO, the role attribute, USE-CANDIDATE
/// (the controlling side nominates in every check), PRIORITY, MESSAGE-INTEGRITY, FINGERPRINT in that order;
/// answers to bad checks follow probe-answers.md.
/// </summary>
internal sealed class IceAgent
{
    /// <summary>Bound on pairs, so checks from many spoofed sources (by someone who knows the credentials) cannot grow state.</summary>
    public const int MaxPairs = 64;

    private readonly IceAgentOptions _options;
    private readonly Random _random;
    private readonly ulong _tieBreaker;
    private readonly List<IceCandidate> _localCandidates = [];
    private readonly List<IceCandidate> _bases = [];
    private readonly List<IceCandidate> _remoteCandidates = [];
    private readonly List<IceCandidatePair> _pairs = [];
    private readonly Queue<IceCandidatePair> _triggered = new();
    private readonly Queue<IceTransmit> _transmits = new();
    private readonly byte[] _localKey;
    private byte[]? _remoteKey;
    private IceCredentials? _remoteCredentials;
    private TimeSpan _startedAt;
    private TimeSpan _nextPacing;
    private TimeSpan _nextConsent;
    private TimeSpan _lastReceived;
    private TimeSpan _lastConsentAnswer;

    public IceAgent(IceAgentOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        Role = options.Role;
        _random = options.Seed is { } seed ? new Random(seed) : new Random();
        Span<byte> tie = stackalloc byte[8];
        RandomNumberGenerator.Fill(tie);
        _tieBreaker = BitConverter.ToUInt64(tie);
        _localKey = StunIntegrity.ShortTermKey(options.LocalCredentials.Password);
    }

    public IceRole Role { get; private set; }

    public IceConnectionState State { get; private set; } = IceConnectionState.New;

    public IceError? FailureReason { get; private set; }

    public IceCredentials LocalCredentials => _options.LocalCredentials;

    public IReadOnlyList<IceCandidate> LocalCandidates => _localCandidates;

    public IReadOnlyList<IceCandidate> RemoteCandidates => _remoteCandidates;

    public IReadOnlyList<IceCandidatePair> Pairs => _pairs;

    /// <summary>The nominated pair DTLS runs over, once <see cref="State"/> is Connected.</summary>
    public IceCandidatePair? SelectedPair { get; private set; }

    /// <summary>When the first pair was selected, relative to <see cref="Start"/>.</summary>
    public TimeSpan? TimeToConnected { get; private set; }

    /// <summary>Counts of datagrams answered with silence, errors and successes (for tests and metrics).</summary>
    public int IgnoredRequests { get; private set; }

    public int ErrorResponsesSent { get; private set; }

    /// <summary>Consent checks (RFC 7675) on the selected pair that the remote answered.</summary>
    public int ConsentAnswers { get; private set; }

    /// <summary>
    /// Adds a candidate we advertise. <paramref name="isBase"/> marks the host candidate of the socket's family
    /// that checks are paired from; reflexive and injected candidates are advertised only (their base is that host).
    /// </summary>
    public void AddLocalCandidate(IceCandidate candidate, bool isBase)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        _localCandidates.Add(candidate);
        if (isBase && !_bases.Exists(b => b.AddressFamily == candidate.AddressFamily))
        {
            _bases.Add(candidate);
        }
    }

    public void SetRemoteCredentials(string ufrag, string password)
    {
        if (!IceCredentials.IsValid(ufrag, password))
        {
            throw new ArgumentException("Remote ICE credentials are not valid ice-chars of RFC 8839 lengths.", nameof(ufrag));
        }

        _remoteCredentials = new IceCredentials(ufrag, password);
        _remoteKey = StunIntegrity.ShortTermKey(password);
    }

    public void AddRemoteCandidate(IceCandidate candidate)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        candidate = candidate with { EndPoint = Normalize(candidate.EndPoint) };
        if (_remoteCandidates.Exists(c => c.EndPoint.Equals(candidate.EndPoint)))
        {
            return;
        }

        _remoteCandidates.Add(candidate);
        IceCandidatePair? pair = AddPair(candidate);
        if (pair is not null && State != IceConnectionState.New)
        {
            pair.State = IceCandidatePairState.Waiting;
        }
    }

    /// <summary>Starts connectivity checks (the remote credentials and candidates should be set).</summary>
    public void Start(TimeSpan now)
    {
        if (State != IceConnectionState.New)
        {
            return;
        }

        _startedAt = now;
        _nextPacing = now;
        State = IceConnectionState.Checking;
        foreach (IceCandidatePair p in _pairs)
        {
            p.State = IceCandidatePairState.Waiting;
        }

        HandleTimeout(now);
    }

    /// <summary>Offers a STUN datagram from <paramref name="from"/>. False (and nothing done) when it is not STUN.</summary>
    public bool HandleDatagram(ReadOnlySpan<byte> datagram, IPEndPoint from, TimeSpan now)
    {
        if (!StunMessage.TryRead(datagram, out StunMessage? message))
        {
            return false;
        }

        HandleStun(message, from, now);
        return true;
    }

    public void HandleStun(StunMessage message, IPEndPoint from, TimeSpan now)
    {
        ArgumentNullException.ThrowIfNull(message);
        from = Normalize(from);
        if (State is IceConnectionState.Closed || message.Method != StunMethod.Binding)
        {
            IgnoredRequests++;
            return;
        }

        switch (message.Class)
        {
            case StunClass.Request:
                HandleRequest(message, from, now);
                break;
            case StunClass.SuccessResponse:
            case StunClass.ErrorResponse:
                HandleResponse(message, from, now);
                break;
            default:
                IgnoredRequests++;
                break;
        }
    }

    /// <summary>A non-STUN datagram arrived; when it comes from the selected pair it proves the path is alive.</summary>
    public void NotifyReceived(IPEndPoint from, TimeSpan now)
    {
        if (SelectedPair is { } selected && selected.RemoteEndPoint.Equals(Normalize(from)))
        {
            MarkAlive(now);
        }
    }

    /// <summary>True when <paramref name="from"/> is the remote side of a pair whose check succeeded (DTLS is accepted only from those).</summary>
    public bool IsValidatedRemote(IPEndPoint from)
    {
        from = Normalize(from);
        foreach (IceCandidatePair p in _pairs)
        {
            if (p.State == IceCandidatePairState.Succeeded && p.RemoteEndPoint.Equals(from))
            {
                return true;
            }
        }

        return false;
    }

    public bool TryDequeueTransmit(out IceTransmit transmit) => _transmits.TryDequeue(out transmit);

    /// <summary>When <see cref="HandleTimeout"/> should next be called, or null when nothing is scheduled.</summary>
    public TimeSpan? NextTimeout
    {
        get
        {
            if (State is IceConnectionState.New or IceConnectionState.Failed or IceConnectionState.Closed)
            {
                return null;
            }

            TimeSpan next = TimeSpan.MaxValue;
            foreach (IceCandidatePair p in _pairs)
            {
                if (p.State == IceCandidatePairState.InProgress && p.NextRetransmit < next)
                {
                    next = p.NextRetransmit;
                }
            }

            if (SelectedPair is null)
            {
                if (HasCheckToSend())
                {
                    next = Min(next, _nextPacing);
                }

                next = Min(next, _startedAt + _options.FailedTimeout);
            }
            else
            {
                next = Min(next, _nextConsent);
                next = Min(next, _lastConsentAnswer + _options.ConsentTimeout);
                if (State == IceConnectionState.Connected)
                {
                    next = Min(next, _lastReceived + _options.DisconnectedTimeout);
                }
            }

            return next;
        }
    }

    public void HandleTimeout(TimeSpan now)
    {
        if (State is IceConnectionState.New or IceConnectionState.Failed or IceConnectionState.Closed)
        {
            return;
        }

        foreach (IceCandidatePair p in _pairs)
        {
            if (p.State != IceCandidatePairState.InProgress || now < p.NextRetransmit)
            {
                continue;
            }

            if (p.Sends >= _options.MaxCheckSends)
            {
                p.State = IceCandidatePairState.Failed;
                p.Request = null;
                continue;
            }

            p.Sends++;
            p.NextRetransmit = now + CheckRto(p.Sends);
            _transmits.Enqueue(new IceTransmit(p.Request!, p.RemoteEndPoint));
        }

        if (SelectedPair is null)
        {
            if (now >= _nextPacing && _remoteKey is not null && NextPairToCheck() is { } pair)
            {
                SendCheck(pair, now);
                _nextPacing = now + _options.Pacing;
            }

            bool allFailed = _pairs.Count > 0 && _triggered.Count == 0 && _pairs.TrueForAll(p => p.State == IceCandidatePairState.Failed);
            if (allFailed || now - _startedAt >= _options.FailedTimeout)
            {
                Fail(IceError.ConnectivityChecksFailed);
            }

            return;
        }

        if (now - _lastConsentAnswer >= _options.ConsentTimeout)
        {
            Fail(IceError.ConsentExpired);
            return;
        }

        if (State == IceConnectionState.Connected && now - _lastReceived >= _options.DisconnectedTimeout)
        {
            State = IceConnectionState.Disconnected;
            _nextConsent = Min(_nextConsent, now);
        }

        if (now >= _nextConsent)
        {
            SendCheck(SelectedPair, now, consent: true);
            TimeSpan interval = State == IceConnectionState.Disconnected ? _options.DisconnectedCheckInterval : _options.ConsentInterval;
            _nextConsent = now + (interval * (0.8 + (0.4 * _random.NextDouble())));
        }
    }

    public void Close()
    {
        State = IceConnectionState.Closed;
        _transmits.Clear();
    }

    private void HandleRequest(StunMessage request, IPEndPoint from, TimeSpan now)
    {
        // Chromium's answers to bad checks (probe-answers.md §3): silence without a valid FINGERPRINT.
        if (!request.HasValidFingerprint())
        {
            IgnoredRequests++;
            return;
        }

        if (!request.TryGetUsername(out string? username) || !request.HasAttribute(StunAttributeType.MessageIntegrity))
        {
            SendError(request, from, 400, "Bad Request", withIntegrity: false);
            return;
        }

        int colon = username.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0 || !username.AsSpan(0, colon).SequenceEqual(_options.LocalCredentials.Ufrag) || !request.VerifyMessageIntegrity(_localKey))
        {
            SendError(request, from, 401, "Unauthorized", withIntegrity: false);
            return;
        }

        // Measured against a live Chromium 156 from a stranger's address (BrowserLabTests probe test): an unknown
        // comprehension-required attribute in 0x4000–0x7FFF gets 420 listing it (with MESSAGE-INTEGRITY), while one
        // below 0x4000 is ignored; a check without PRIORITY gets 400 with ERROR-CODE + FINGERPRINT only; a check
        // without a role attribute gets an ordinary success response.
        List<ushort> unknown = request.GetUnknownComprehensionRequired();
        unknown.RemoveAll(type => type < 0x4000);
        if (unknown.Count > 0)
        {
            SendError(request, from, 420, "Unknown Attribute", withIntegrity: true, unknown.ToArray());
            return;
        }

        if (!request.TryGetPriority(out uint priority))
        {
            SendError(request, from, 400, "Bad Request", withIntegrity: false);
            return;
        }

        bool controlling = request.TryGetUInt64(StunAttributeType.IceControlling, out ulong theirTie);
        bool controlled = request.TryGetUInt64(StunAttributeType.IceControlled, out ulong theirTie2);

        // RFC 8445 §7.3.1.1 role conflicts, as a live Chromium 156 answers them (BrowserLabTests probe test): the
        // loser of the tie-break gets 487 (a stranger gets it twice), the winner makes us switch role, even with a
        // pair selected. The session survives a stranger who knows the credentials (probe-answers.md §6): the pair
        // stays, and the real peer's next check or 487 settles the roles again (see HandleResponse).
        bool conflict = (Role == IceRole.Controlling && controlling) || (Role == IceRole.Controlled && controlled);
        if (conflict)
        {
            bool weWin = Role == IceRole.Controlling ? _tieBreaker >= theirTie : _tieBreaker < theirTie2;
            if (weWin)
            {
                SendError(request, from, 487, "Role Conflict", withIntegrity: true);
                if (FindPair(from) is null)
                {
                    SendError(request, from, 487, "Role Conflict", withIntegrity: true);
                }

                return;
            }

            Role = Role == IceRole.Controlling ? IceRole.Controlled : IceRole.Controlling;
        }

        SendSuccess(request, from);
        IceCandidatePair? pair = FindPair(from);
        if (pair is null)
        {
            if (SelectedPair is not null || State is IceConnectionState.Failed || _pairs.Count >= MaxPairs)
            {
                return; // Chromium does not start checks to a new address once connected (probe-answers.md §5).
            }

            // RFC 8445 §7.3.1.3: a peer-reflexive remote candidate.
            var prflx = new IceCandidate(RandomNumberGenerator.GetHexString(8, lowercase: true), priority, from, IceCandidateType.PeerReflexive);
            _remoteCandidates.Add(prflx);
            pair = AddPair(prflx);
            if (pair is null)
            {
                return;
            }
        }

        if (pair == SelectedPair)
        {
            MarkAlive(now);
        }

        if (Role == IceRole.Controlled && request.HasAttribute(StunAttributeType.UseCandidate))
        {
            if (pair.State == IceCandidatePairState.Succeeded)
            {
                pair.Nominated = true;
                Consider(pair, now);
            }
            else
            {
                pair.NominateOnSuccess = true;
            }
        }

        // RFC 8445 §7.3.1.4 triggered checks.
        if (SelectedPair is null && pair.State is IceCandidatePairState.Frozen or IceCandidatePairState.Waiting or IceCandidatePairState.Failed)
        {
            if (pair.State == IceCandidatePairState.Failed || State == IceConnectionState.New)
            {
                pair.Sends = 0;
            }

            pair.State = IceCandidatePairState.Waiting;
            if (!_triggered.Contains(pair))
            {
                _triggered.Enqueue(pair);
            }
        }
    }

    private void HandleResponse(StunMessage response, IPEndPoint from, TimeSpan now)
    {
        IceCandidatePair? pair = _pairs.Find(p => p.Request is not null && p.TransactionId == response.TransactionId);
        if (pair is null || _remoteKey is null || !response.VerifyMessageIntegrity(_remoteKey)
            || (response.HasAttribute(StunAttributeType.Fingerprint) && !response.HasValidFingerprint()))
        {
            IgnoredRequests++;
            return;
        }

        bool consent = pair.State == IceCandidatePairState.Succeeded;
        pair.Request = null;
        if (!from.Equals(pair.RemoteEndPoint))
        {
            // RFC 8445 §7.2.5.2.1: the addresses must be symmetric.
            if (!consent)
            {
                pair.State = IceCandidatePairState.Failed;
            }

            return;
        }

        if (response.Class == StunClass.ErrorResponse)
        {
            if (response.TryGetErrorCode(out int code, out _) && code == 487 && (SelectedPair is null || pair == SelectedPair))
            {
                // RFC 8445 §7.2.5.1: switch role and check again (a consent check at once).
                Role = Role == IceRole.Controlling ? IceRole.Controlled : IceRole.Controlling;
                if (pair == SelectedPair)
                {
                    _nextConsent = now;
                }
                else
                {
                    pair.State = IceCandidatePairState.Waiting;
                    pair.Sends = 0;
                    _triggered.Enqueue(pair);
                }
            }
            else if (!consent)
            {
                pair.State = IceCandidatePairState.Failed;
            }

            return;
        }

        pair.RoundTripTime = now - pair.FirstSentAt;
        pair.State = IceCandidatePairState.Succeeded;
        if (pair == SelectedPair)
        {
            _lastConsentAnswer = now;
            ConsentAnswers++;
            MarkAlive(now);
            return;
        }

        if (Role == IceRole.Controlling || pair.NominateOnSuccess)
        {
            pair.Nominated = true;
            Consider(pair, now);
        }
    }

    private void Consider(IceCandidatePair pair, TimeSpan now)
    {
        if (SelectedPair is not null && (SelectedPair.Priority(Role) >= pair.Priority(Role) || State != IceConnectionState.Connected))
        {
            return;
        }

        bool first = SelectedPair is null;
        SelectedPair = pair;
        State = IceConnectionState.Connected;
        _lastReceived = now;
        _lastConsentAnswer = now;
        _nextConsent = now + (_options.ConsentInterval * (0.8 + (0.4 * _random.NextDouble())));
        if (first)
        {
            TimeToConnected = now - _startedAt;
        }
    }

    private void MarkAlive(TimeSpan now)
    {
        _lastReceived = now;
        if (State == IceConnectionState.Disconnected)
        {
            State = IceConnectionState.Connected;
            _nextConsent = now + _options.ConsentInterval;
        }
    }

    private void Fail(IceError reason)
    {
        State = IceConnectionState.Failed;
        FailureReason = reason;
        foreach (IceCandidatePair p in _pairs)
        {
            p.Request = null;
        }
    }

    private IceCandidatePair? AddPair(IceCandidate remote)
    {
        IceCandidate? local = _bases.Find(b => b.AddressFamily == remote.AddressFamily);
        if (local is null || FindPair(remote.EndPoint) is not null)
        {
            return null;
        }

        var pair = new IceCandidatePair(local, remote);
        _pairs.Add(pair);
        return pair;
    }

    private IceCandidatePair? FindPair(IPEndPoint remote) => _pairs.Find(p => p.RemoteEndPoint.Equals(remote));

    private bool HasCheckToSend() =>
        _remoteKey is not null && (_triggered.Count > 0 || _pairs.Exists(p => p.State == IceCandidatePairState.Waiting));

    private IceCandidatePair? NextPairToCheck()
    {
        while (_triggered.TryDequeue(out IceCandidatePair? t))
        {
            if (t.State == IceCandidatePairState.Waiting)
            {
                return t;
            }
        }

        IceCandidatePair? best = null;
        foreach (IceCandidatePair p in _pairs)
        {
            if (p.State == IceCandidatePairState.Waiting && (best is null || p.Priority(Role) > best.Priority(Role)))
            {
                best = p;
            }
        }

        return best;
    }

    private void SendCheck(IceCandidatePair pair, TimeSpan now, bool consent = false)
    {
        StunTransactionId id = StunTransactionId.NewChromium();
        Span<byte> buffer = stackalloc byte[600];
        var w = new StunMessageWriter(buffer, StunClass.Request, StunMethod.Binding, id);
        w.AddString(StunAttributeType.Username, $"{_remoteCredentials!.Ufrag}:{_options.LocalCredentials.Ufrag}");
        if (_options.GoogNetworkInfo)
        {
            w.AddGoogNetworkInfo(1, 0);
        }

        w.AddUInt64(Role == IceRole.Controlling ? StunAttributeType.IceControlling : StunAttributeType.IceControlled, _tieBreaker);
        if (Role == IceRole.Controlling)
        {
            w.AddEmpty(StunAttributeType.UseCandidate);
        }

        int localPreference = (int)((pair.Local.Priority >> 8) & 0xFFFF);
        w.AddUInt32(StunAttributeType.Priority, IceCandidate.ComputePriority(IceCandidateType.PeerReflexive, localPreference));
        w.AddMessageIntegrity(_remoteKey);
        w.AddFingerprint();
        w.TryComplete(out int written);
        byte[] request = buffer[..written].ToArray();
        pair.TransactionId = id;
        pair.Request = request;
        pair.FirstSentAt = now;
        if (!consent)
        {
            pair.State = IceCandidatePairState.InProgress;
            pair.Sends = 1;
            pair.NextRetransmit = now + CheckRto(1);
        }

        _transmits.Enqueue(new IceTransmit(request, pair.RemoteEndPoint));
    }

    private void SendSuccess(StunMessage request, IPEndPoint from)
    {
        Span<byte> buffer = stackalloc byte[128];
        var w = new StunMessageWriter(buffer, StunClass.SuccessResponse, StunMethod.Binding, request.TransactionId);
        w.AddXorMappedAddress(from);
        w.AddMessageIntegrity(_localKey);
        w.AddFingerprint();
        w.TryComplete(out int written);
        _transmits.Enqueue(new IceTransmit(buffer[..written].ToArray(), from));
    }

    private void SendError(StunMessage request, IPEndPoint from, int code, string reason, bool withIntegrity, ushort[]? unknown = null)
    {
        Span<byte> buffer = stackalloc byte[256];
        var w = new StunMessageWriter(buffer, StunClass.ErrorResponse, StunMethod.Binding, request.TransactionId);
        w.AddErrorCode(code, reason);
        if (unknown is not null)
        {
            w.AddUnknownAttributes(unknown);
        }

        if (withIntegrity)
        {
            w.AddMessageIntegrity(_localKey);
        }

        w.AddFingerprint();
        w.TryComplete(out int written);
        ErrorResponsesSent++;
        _transmits.Enqueue(new IceTransmit(buffer[..written].ToArray(), from));
    }

    private TimeSpan CheckRto(int sends)
    {
        TimeSpan rto = _options.CheckRto * Math.Pow(2, sends - 1);
        return rto > _options.MaxCheckRto ? _options.MaxCheckRto : rto;
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    internal static IPEndPoint Normalize(IPEndPoint endPoint) =>
        endPoint.Address.IsIPv4MappedToIPv6 ? new IPEndPoint(endPoint.Address.MapToIPv4(), endPoint.Port) : endPoint;

    internal static bool SameFamily(IPEndPoint a, AddressFamily family) => Normalize(a).AddressFamily == family;
}
