namespace Inroad.Sessions.Noise;

/// <summary>
/// Noise HandshakeState (§5.3) for any pattern of <see cref="NoisePattern"/>, DH 25519 and ChaChaPoly.
/// Single-threaded. <see cref="ReadMessage"/> never throws on network input: it returns -1 and rolls the
/// state back, so a forged message cannot break a handshake in progress.
/// </summary>
internal sealed class HandshakeState : IDisposable
{
    /// <summary>Noise's maximum message size (§3).</summary>
    public const int MaxMessageLength = 65535;

    private const int DhLen = Curve25519.KeyLength;

    private readonly NoisePattern _pattern;
    private readonly SymmetricState _symmetric;
    private readonly bool _initiator;
    private readonly byte[] _s = new byte[DhLen];
    private readonly byte[] _sPub = new byte[DhLen];
    private readonly byte[] _e = new byte[DhLen];
    private readonly byte[] _ePub = new byte[DhLen];
    private readonly byte[] _rs = new byte[DhLen];
    private readonly byte[] _re = new byte[DhLen];
    private readonly byte[][] _psks;
    private readonly bool _hasPsk;
    private readonly byte[]? _fixedEphemeral;
    private readonly bool _hasS;
    private bool _hasE;
    private bool _hasRs;
    private bool _hasRe;
    private int _messageIndex;
    private int _pskIndex;

    /// <param name="protocol">The protocol.</param>
    /// <param name="initiator">Which side this is.</param>
    /// <param name="prologue">Bound into the handshake hash.</param>
    /// <param name="staticPrivateKey">Local static private key, or empty.</param>
    /// <param name="remoteStaticPublicKey">Remote static public key known in advance, or empty.</param>
    /// <param name="psks">Pre-shared keys, consumed in token order.</param>
    /// <param name="fixedEphemeralPrivateKey">For test vectors only: the ephemeral private key to use.</param>
    /// <param name="staticPublicKey">The public key of <paramref name="staticPrivateKey"/> when already known (saves an X25519 base multiplication).</param>
    public HandshakeState(
        NoiseProtocol protocol,
        bool initiator,
        ReadOnlySpan<byte> prologue,
        ReadOnlySpan<byte> staticPrivateKey,
        ReadOnlySpan<byte> remoteStaticPublicKey,
        IReadOnlyList<byte[]>? psks = null,
        byte[]? fixedEphemeralPrivateKey = null,
        ReadOnlySpan<byte> staticPublicKey = default)
    {
        _pattern = protocol.Pattern;
        _initiator = initiator;
        _psks = psks?.ToArray() ?? [];
        _hasPsk = _pattern.HasPsk;
        _fixedEphemeral = fixedEphemeralPrivateKey;
        _symmetric = new SymmetricState(NoiseHash.Create(protocol.Hash), protocol.NameBytes);
        _symmetric.MixHash(prologue);

        if (!staticPrivateKey.IsEmpty)
        {
            staticPrivateKey.CopyTo(_s);
            if (staticPublicKey.Length == DhLen)
            {
                staticPublicKey.CopyTo(_sPub);
            }
            else
            {
                Curve25519.DerivePublicKey(_s, _sPub);
            }

            _hasS = true;
        }

        if (!remoteStaticPublicKey.IsEmpty)
        {
            remoteStaticPublicKey.CopyTo(_rs);
            _hasRs = true;
        }

        // Pre-messages (§7.1): only "s" occurs in our patterns.
        MixPreMessage(_pattern.InitiatorPreMessage, initiatorSide: true);
        MixPreMessage(_pattern.ResponderPreMessage, initiatorSide: false);
    }

    /// <summary>True once every message of the pattern has been written or read.</summary>
    public bool IsCompleted => _messageIndex >= _pattern.Messages.Length;

    /// <summary>True when the next message is ours to write.</summary>
    public bool IsMyTurn => !IsCompleted && ((_messageIndex % 2 == 0) == _initiator);

    /// <summary>h: after the last message, the channel-binding handshake hash (§11.2).</summary>
    public ReadOnlySpan<byte> HandshakeHash => _symmetric.HandshakeHash;

    /// <summary>The remote static public key (known in advance or learned), or empty.</summary>
    public ReadOnlySpan<byte> RemoteStaticPublicKey => _hasRs ? _rs : default;

    /// <summary>Upper bound of the bytes <see cref="WriteMessage"/> adds to a payload.</summary>
    public static int Overhead(int messageTokensMax = 4) => (messageTokensMax * (DhLen + CipherState.TagLength)) + CipherState.TagLength;

    /// <summary>Writes the next handshake message. Throws on misuse (wrong turn, missing key): caller bugs.</summary>
    public int WriteMessage(ReadOnlySpan<byte> payload, Span<byte> message)
    {
        if (!IsMyTurn)
        {
            throw new InvalidOperationException("not our turn to write a handshake message");
        }

        int at = 0;
        foreach (NoiseToken token in _pattern.Messages[_messageIndex])
        {
            switch (token)
            {
                case NoiseToken.E:
                    if (_fixedEphemeral is not null)
                    {
                        _fixedEphemeral.CopyTo(_e, 0);
                        Curve25519.DerivePublicKey(_e, _ePub);
                    }
                    else
                    {
                        Curve25519.GenerateKeyPair(_e, _ePub);
                    }

                    _hasE = true;
                    _ePub.CopyTo(message[at..]);
                    at += DhLen;
                    _symmetric.MixHash(_ePub);
                    if (_hasPsk)
                    {
                        _symmetric.MixKey(_ePub);
                    }

                    break;
                case NoiseToken.S:
                    if (!_hasS)
                    {
                        throw new InvalidOperationException("pattern needs a local static key");
                    }

                    at += _symmetric.EncryptAndHash(_sPub, message[at..]);
                    break;
                case NoiseToken.Psk:
                    _symmetric.MixKeyAndHash(NextPsk());
                    break;
                default:
                    if (!TryMixDh(token))
                    {
                        throw new SessionException(SessionError.HandshakeFailed, "DH produced an all-zero shared secret");
                    }

                    break;
            }
        }

        at += _symmetric.EncryptAndHash(payload, message[at..]);
        _messageIndex++;
        return at;
    }

    /// <summary>
    /// Reads the next handshake message into <paramref name="payload"/>. Returns the payload length, or -1 when
    /// the message is malformed or does not authenticate; the state is then unchanged.
    /// </summary>
    public int ReadMessage(ReadOnlySpan<byte> message, Span<byte> payload)
    {
        if (IsCompleted || IsMyTurn || message.Length > MaxMessageLength)
        {
            return -1;
        }

        Span<byte> snapshot = stackalloc byte[SymmetricState.SnapshotLength];
        _symmetric.Save(snapshot);
        bool hadRe = _hasRe, hadRs = _hasRs;
        int pskIndex = _pskIndex;
        Span<byte> oldRs = stackalloc byte[DhLen];
        Span<byte> oldRe = stackalloc byte[DhLen];
        _rs.CopyTo(oldRs);
        _re.CopyTo(oldRe);

        int result = ReadMessageCore(message, payload);
        if (result < 0)
        {
            _symmetric.Restore(snapshot);
            _hasRe = hadRe;
            _hasRs = hadRs;
            oldRs.CopyTo(_rs);
            oldRe.CopyTo(_re);
            _pskIndex = pskIndex;
        }
        else
        {
            _messageIndex++;
        }

        snapshot.Clear();
        return result;
    }

    /// <summary>Split (§5.2) after the last message: (initiator→responder, responder→initiator) ciphers.</summary>
    public (CipherState InitiatorToResponder, CipherState ResponderToInitiator) Split()
    {
        if (!IsCompleted)
        {
            throw new InvalidOperationException("handshake not completed");
        }

        return _symmetric.Split();
    }

    public void Dispose()
    {
        _symmetric.HashFunction.Dispose();
        _symmetric.Dispose();
        _s.AsSpan().Clear();
        _e.AsSpan().Clear();
    }

    private int ReadMessageCore(ReadOnlySpan<byte> message, Span<byte> payload)
    {
        int at = 0;
        foreach (NoiseToken token in _pattern.Messages[_messageIndex])
        {
            switch (token)
            {
                case NoiseToken.E:
                    if (message.Length - at < DhLen)
                    {
                        return -1;
                    }

                    message.Slice(at, DhLen).CopyTo(_re);
                    _hasRe = true;
                    at += DhLen;
                    _symmetric.MixHash(_re);
                    if (_hasPsk)
                    {
                        _symmetric.MixKey(_re);
                    }

                    break;
                case NoiseToken.S:
                    {
                        int length = DhLen + (_symmetric.HasKey ? CipherState.TagLength : 0);
                        if (message.Length - at < length)
                        {
                            return -1;
                        }

                        Span<byte> rs = stackalloc byte[DhLen];
                        if (_symmetric.DecryptAndHash(message.Slice(at, length), rs) != DhLen)
                        {
                            return -1;
                        }

                        rs.CopyTo(_rs);
                        _hasRs = true;
                        at += length;
                        break;
                    }

                case NoiseToken.Psk:
                    if (_pskIndex >= _psks.Length)
                    {
                        return -1;
                    }

                    _symmetric.MixKeyAndHash(NextPsk());
                    break;
                default:
                    if (!TryMixDh(token))
                    {
                        return -1;
                    }

                    break;
            }
        }

        ReadOnlySpan<byte> rest = message[at..];
        int minimum = _symmetric.HasKey ? CipherState.TagLength : 0;
        if (rest.Length < minimum || payload.Length < rest.Length - minimum)
        {
            return -1;
        }

        return _symmetric.DecryptAndHash(rest, payload);
    }

    private bool TryMixDh(NoiseToken token)
    {
        // §7.1: "es" is DH(e, rs) for the initiator and DH(s, re) for the responder; "se" the mirror image.
        (byte[] local, bool hasLocal, byte[] remote, bool hasRemote) = token switch
        {
            NoiseToken.EE => (_e, _hasE, _re, _hasRe),
            NoiseToken.ES => _initiator ? (_e, _hasE, _rs, _hasRs) : (_s, _hasS, _re, _hasRe),
            NoiseToken.SE => _initiator ? (_s, _hasS, _re, _hasRe) : (_e, _hasE, _rs, _hasRs),
            NoiseToken.SS => (_s, _hasS, _rs, _hasRs),
            _ => throw new InvalidOperationException("not a DH token"),
        };
        if (!hasLocal || !hasRemote)
        {
            return false;
        }

        Span<byte> shared = stackalloc byte[DhLen];
        bool ok = Curve25519.TryAgree(local, remote, shared);
        if (ok)
        {
            _symmetric.MixKey(shared);
        }

        shared.Clear();
        return ok;
    }

    private byte[] NextPsk()
    {
        if (_pskIndex >= _psks.Length)
        {
            throw new InvalidOperationException("pattern needs more pre-shared keys");
        }

        return _psks[_pskIndex++];
    }

    private void MixPreMessage(NoiseToken[] tokens, bool initiatorSide)
    {
        foreach (NoiseToken token in tokens)
        {
            if (token != NoiseToken.S)
            {
                throw new NotSupportedException("only static keys in pre-messages");
            }

            bool ours = initiatorSide == _initiator;
            if (ours ? !_hasS : !_hasRs)
            {
                throw new InvalidOperationException("pattern needs a pre-message static key");
            }

            _symmetric.MixHash(ours ? _sPub : _rs);
        }
    }
}
