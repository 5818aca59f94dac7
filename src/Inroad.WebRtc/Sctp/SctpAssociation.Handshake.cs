using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Inroad.WebRtc.Sctp;

/// <summary>Association setup (RFC 9260 §5), heartbeats (§8.3) and close (§9).</summary>
internal sealed partial class SctpAssociation
{
    private const int CookieLength = 48;
    private const int CookieSignedLength = 32;

    private readonly byte[] _cookieKey;
    private bool _everEstablished;

    /// <summary>What a peer's INIT or INIT-ACK told us.</summary>
    private struct PeerInit
    {
        public uint Tag;
        public uint Rwnd;
        public ushort OutboundStreams;
        public ushort InboundStreams;
        public uint InitialTsn;
        public bool ForwardTsn;
        public bool Reconfig;
        public bool ZeroChecksum;
    }

    private void QueueInit() => QueueInitLike(SctpChunkType.Init, 0, default);

    /// <summary>INIT or INIT-ACK with Chromium's parameter set and order (browsers.md): cookie first in INIT-ACK.</summary>
    private void QueueInitLike(SctpChunkType type, uint packetTag, ReadOnlySpan<byte> cookie)
    {
        int paramsLength = 4 + 8 + (_options.OfferZeroChecksum ? 8 : 0) + (cookie.IsEmpty ? 0 : 4 + cookie.Length);
        byte[] packet = RentControl(out var w, packetTag);
        if (w.TryBeginChunk(type, 0, 16 + paramsLength - 2, out Span<byte> v))
        {
            BinaryPrimitives.WriteUInt32BigEndian(v, _myTag);
            BinaryPrimitives.WriteUInt32BigEndian(v[4..], (uint)_options.ReceiveWindow);
            BinaryPrimitives.WriteUInt16BigEndian(v[8..], _options.Streams);
            BinaryPrimitives.WriteUInt16BigEndian(v[10..], _options.Streams);
            BinaryPrimitives.WriteUInt32BigEndian(v[12..], _myInitialTsn);
            Span<byte> p = v[16..];
            if (!cookie.IsEmpty)
            {
                BinaryPrimitives.WriteUInt16BigEndian(p, SctpPacket.ParamStateCookie);
                BinaryPrimitives.WriteUInt16BigEndian(p[2..], (ushort)(4 + cookie.Length));
                cookie.CopyTo(p[4..]);
                p = p[SctpPacket.Pad4(4 + cookie.Length)..];
            }

            BinaryPrimitives.WriteUInt16BigEndian(p, SctpPacket.ParamForwardTsnSupported);
            BinaryPrimitives.WriteUInt16BigEndian(p[2..], 4);
            p = p[4..];
            if (_options.OfferZeroChecksum)
            {
                BinaryPrimitives.WriteUInt16BigEndian(p, SctpPacket.ParamZeroChecksum);
                BinaryPrimitives.WriteUInt16BigEndian(p[2..], 8);
                BinaryPrimitives.WriteUInt32BigEndian(p[4..], SctpPacket.ZeroChecksumEdmidDtls);
                p = p[8..];
            }

            // Supported Extensions: RE-CONFIG, FORWARD-TSN (6 bytes; the chunk ends unpadded like Chromium's).
            BinaryPrimitives.WriteUInt16BigEndian(p, SctpPacket.ParamSupportedExtensions);
            BinaryPrimitives.WriteUInt16BigEndian(p[2..], 6);
            p[4] = (byte)SctpChunkType.ReConfig;
            p[5] = (byte)SctpChunkType.ForwardTsn;
        }

        QueueControl(packet, ref w, forceChecksum: true);
    }

    private static bool TryReadInit(ReadOnlySpan<byte> v, out PeerInit init, out ReadOnlySpan<byte> cookie)
    {
        init = new PeerInit
        {
            Tag = BinaryPrimitives.ReadUInt32BigEndian(v),
            Rwnd = BinaryPrimitives.ReadUInt32BigEndian(v[4..]),
            OutboundStreams = BinaryPrimitives.ReadUInt16BigEndian(v[8..]),
            InboundStreams = BinaryPrimitives.ReadUInt16BigEndian(v[10..]),
            InitialTsn = BinaryPrimitives.ReadUInt32BigEndian(v[12..]),
        };
        cookie = default;
        var reader = new SctpParameterReader(v[16..]);
        while (reader.TryRead(out ushort type, out ReadOnlySpan<byte> value))
        {
            switch (type)
            {
                case SctpPacket.ParamStateCookie:
                    cookie = value;
                    break;
                case SctpPacket.ParamForwardTsnSupported:
                    init.ForwardTsn = true;
                    break;
                case SctpPacket.ParamZeroChecksum:
                    init.ZeroChecksum = value.Length >= 4 && BinaryPrimitives.ReadUInt32BigEndian(value) == SctpPacket.ZeroChecksumEdmidDtls;
                    break;
                case SctpPacket.ParamSupportedExtensions:
                    init.Reconfig = value.Contains((byte)SctpChunkType.ReConfig);
                    init.ForwardTsn |= value.Contains((byte)SctpChunkType.ForwardTsn);
                    break;
            }
        }

        return !reader.Malformed && init.Tag != 0;
    }

    private void HandleInit(ReadOnlySpan<byte> v)
    {
        if (!TryReadInit(v, out PeerInit init, out _))
        {
            Statistics.PacketsDropped++;
            return;
        }

        if (State is not (SctpState.Closed or SctpState.CookieWait or SctpState.CookieEchoed) || _everEstablished)
        {
            // A restart of an established association is not something a WebRTC peer does; drop it.
            return;
        }

        Span<byte> cookie = stackalloc byte[CookieLength];
        WriteCookie(cookie, init);
        QueueInitLike(SctpChunkType.InitAck, init.Tag, cookie);
    }

    private void HandleInitAck(ReadOnlySpan<byte> v, TimeSpan now)
    {
        if (State != SctpState.CookieWait || !TryReadInit(v, out PeerInit init, out ReadOnlySpan<byte> cookie) || cookie.IsEmpty)
        {
            return;
        }

        ApplyPeerInit(init);
        _cookieToEcho = cookie.ToArray();
        State = SctpState.CookieEchoed;
        _initAttempts = 1;
        QueueCookieEcho();
        _t1 = now + _rto;
    }

    private void QueueCookieEcho()
    {
        byte[] packet = RentControl(out var w, _peerTag);
        if (w.TryBeginChunk(SctpChunkType.CookieEcho, 0, _cookieToEcho!.Length, out Span<byte> v))
        {
            _cookieToEcho.CopyTo(v);
        }

        QueueControl(packet, ref w, forceChecksum: true);
    }

    private bool HandleCookieEcho(ReadOnlySpan<byte> cookie, uint packetTag, TimeSpan now)
    {
        if (packetTag != _myTag || !TryReadCookie(cookie, now, out PeerInit init))
        {
            Statistics.PacketsDropped++;
            return false;
        }

        if (State is SctpState.Closed or SctpState.CookieWait or SctpState.CookieEchoed && !_everEstablished)
        {
            if (State != SctpState.CookieEchoed || _peerTag != init.Tag)
            {
                ApplyPeerInit(init);
            }

            QueueCookieAck();
            Establish(now);
            return true;
        }

        if (_everEstablished && init.Tag == _peerTag && State != SctpState.Closed)
        {
            QueueCookieAck(); // our COOKIE-ACK was lost
            return true;
        }

        return false;
    }

    private void QueueCookieAck()
    {
        byte[] packet = RentControl(out var w, _peerTag);
        w.TryBeginChunk(SctpChunkType.CookieAck, 0, 0, out _);
        QueueControl(packet, ref w, forceChecksum: false);
    }

    private void ApplyPeerInit(in PeerInit init)
    {
        _peerTag = init.Tag;
        _peerRwnd = (int)Math.Min(init.Rwnd, int.MaxValue);
        _ssthresh = _peerRwnd;
        _peerForwardTsn = init.ForwardTsn;
        _peerReconfig = init.Reconfig;
        _zeroChecksum = init.ZeroChecksum && _options.OfferZeroChecksum;
        InitReceiveState(init.InitialTsn);
    }

    private void Establish(TimeSpan now)
    {
        State = SctpState.Established;
        _everEstablished = true;
        _t1 = Never;
        _errorCount = 0;
        _heartbeatAt = now + _options.HeartbeatInterval;
        _handler.OnEstablished(this);
    }

    private void OnT1Expired(TimeSpan now)
    {
        _t1 = Never;
        if (State is not (SctpState.CookieWait or SctpState.CookieEchoed))
        {
            return;
        }

        if (++_initAttempts > _options.MaxInitRetransmissions)
        {
            Close(SctpError.Timeout, "handshake timed out");
            return;
        }

        _rto = Min(_rto + _rto, _options.RtoMax);
        if (State == SctpState.CookieWait)
        {
            QueueInit();
        }
        else
        {
            QueueCookieEcho();
        }

        _t1 = now + _rto;
    }

    // State cookie (RFC 9260 §5.1.3): 32 bytes of what we must remember, then 16 bytes of HMAC-SHA256.
    // 48 bytes in all, the size Chromium's dcSCTP uses.
    private void WriteCookie(Span<byte> cookie, in PeerInit init)
    {
        BinaryPrimitives.WriteUInt32BigEndian(cookie, _myTag);
        BinaryPrimitives.WriteUInt32BigEndian(cookie[4..], init.Tag);
        BinaryPrimitives.WriteUInt32BigEndian(cookie[8..], init.InitialTsn);
        BinaryPrimitives.WriteUInt32BigEndian(cookie[12..], init.Rwnd);
        BinaryPrimitives.WriteUInt16BigEndian(cookie[16..], init.OutboundStreams);
        BinaryPrimitives.WriteUInt16BigEndian(cookie[18..], init.InboundStreams);
        cookie[20] = (byte)((init.ForwardTsn ? 1 : 0) | (init.Reconfig ? 2 : 0) | (init.ZeroChecksum ? 4 : 0));
        cookie[21..24].Clear();
        BinaryPrimitives.WriteInt64BigEndian(cookie[24..], _lastNow.Ticks);
        Span<byte> mac = stackalloc byte[32];
        HMACSHA256.HashData(_cookieKey, cookie[..CookieSignedLength], mac);
        mac[..16].CopyTo(cookie[CookieSignedLength..]);
    }

    private bool TryReadCookie(ReadOnlySpan<byte> cookie, TimeSpan now, out PeerInit init)
    {
        init = default;
        if (cookie.Length != CookieLength)
        {
            return false;
        }

        Span<byte> mac = stackalloc byte[32];
        HMACSHA256.HashData(_cookieKey, cookie[..CookieSignedLength], mac);
        if (!CryptographicOperations.FixedTimeEquals(mac[..16], cookie[CookieSignedLength..]))
        {
            return false;
        }

        var created = TimeSpan.FromTicks(BinaryPrimitives.ReadInt64BigEndian(cookie[24..]));
        if (BinaryPrimitives.ReadUInt32BigEndian(cookie) != _myTag || now - created > _options.CookieLifetime)
        {
            return false;
        }

        byte flags = cookie[20];
        init = new PeerInit
        {
            Tag = BinaryPrimitives.ReadUInt32BigEndian(cookie[4..]),
            InitialTsn = BinaryPrimitives.ReadUInt32BigEndian(cookie[8..]),
            Rwnd = BinaryPrimitives.ReadUInt32BigEndian(cookie[12..]),
            OutboundStreams = BinaryPrimitives.ReadUInt16BigEndian(cookie[16..]),
            InboundStreams = BinaryPrimitives.ReadUInt16BigEndian(cookie[18..]),
            ForwardTsn = (flags & 1) != 0,
            Reconfig = (flags & 2) != 0,
            ZeroChecksum = (flags & 4) != 0,
        };
        return true;
    }

    private void OnHeartbeatDue(TimeSpan now)
    {
        _heartbeatAt = Never;
        if (State != SctpState.Established)
        {
            return;
        }

        if (_heartbeatOutstanding && ++_errorCount > _options.MaxRetransmissions)
        {
            Close(SctpError.Timeout, "peer unreachable (heartbeat)");
            return;
        }

        byte[] packet = RentControl(out var w, _peerTag);
        if (w.TryBeginChunk(SctpChunkType.Heartbeat, 0, 12, out Span<byte> v))
        {
            BinaryPrimitives.WriteUInt16BigEndian(v, SctpPacket.ParamHeartbeatInfo);
            BinaryPrimitives.WriteUInt16BigEndian(v[2..], 12);
            BinaryPrimitives.WriteInt64BigEndian(v[4..], now.Ticks);
        }

        QueueControl(packet, ref w, forceChecksum: false);
        _heartbeatOutstanding = true;
        _heartbeatAt = now + _options.HeartbeatInterval + _rto;
    }

    private void QueueHeartbeatAck(ReadOnlySpan<byte> info)
    {
        if (State == SctpState.Closed || info.Length > _mtu - 16)
        {
            return;
        }

        byte[] packet = RentControl(out var w, _peerTag);
        if (w.TryBeginChunk(SctpChunkType.HeartbeatAck, 0, info.Length, out Span<byte> v))
        {
            info.CopyTo(v);
        }

        QueueControl(packet, ref w, forceChecksum: false);
    }

    private void HandleShutdown(ReadOnlySpan<byte> v, TimeSpan now)
    {
        uint cumAck = BinaryPrimitives.ReadUInt32BigEndian(v);
        ProcessCumulativeAck(cumAck, now);
        if (State is SctpState.Established or SctpState.ShutdownPending)
        {
            State = SctpState.ShutdownReceived;
        }
        else if (State == SctpState.ShutdownSent)
        {
            QueueSimple(SctpChunkType.ShutdownAck, 0, _peerTag);
            State = SctpState.ShutdownAckSent;
            _t2 = now + _rto;
            return;
        }

        CheckShutdown(now);
    }

    private void HandleShutdownAck()
    {
        if (State is SctpState.ShutdownSent or SctpState.ShutdownAckSent)
        {
            QueueSimple(SctpChunkType.ShutdownComplete, 0, _peerTag);
            Close(SctpError.None, null);
        }
    }

    /// <summary>Sends SHUTDOWN or SHUTDOWN-ACK once all our data is acknowledged (RFC 9260 §9.2).</summary>
    private void CheckShutdown(TimeSpan now)
    {
        if (_outCount != 0)
        {
            return;
        }

        if (State == SctpState.ShutdownPending)
        {
            QueueShutdown();
            State = SctpState.ShutdownSent;
            _t2 = now + _rto;
        }
        else if (State == SctpState.ShutdownReceived)
        {
            QueueSimple(SctpChunkType.ShutdownAck, 0, _peerTag);
            State = SctpState.ShutdownAckSent;
            _t2 = now + _rto;
        }
    }

    private void QueueShutdown()
    {
        byte[] packet = RentControl(out var w, _peerTag);
        if (w.TryBeginChunk(SctpChunkType.Shutdown, 0, 4, out Span<byte> v))
        {
            BinaryPrimitives.WriteUInt32BigEndian(v, _cumTsn);
        }

        QueueControl(packet, ref w, forceChecksum: false);
    }

    private void QueueSimple(SctpChunkType type, byte flags, uint tag)
    {
        byte[] packet = RentControl(out var w, tag);
        w.TryBeginChunk(type, flags, 0, out _);
        QueueControl(packet, ref w, forceChecksum: false);
    }

    private void OnT2Expired(TimeSpan now)
    {
        _t2 = Never;
        if (State is not (SctpState.ShutdownSent or SctpState.ShutdownAckSent))
        {
            return;
        }

        if (++_errorCount > _options.MaxRetransmissions)
        {
            Close(SctpError.Timeout, "shutdown timed out");
            return;
        }

        _rto = Min(_rto + _rto, _options.RtoMax);
        if (State == SctpState.ShutdownSent)
        {
            QueueShutdown();
        }
        else
        {
            QueueSimple(SctpChunkType.ShutdownAck, 0, _peerTag);
        }

        _t2 = now + _rto;
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
}
