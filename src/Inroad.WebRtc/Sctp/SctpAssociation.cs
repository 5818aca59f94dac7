using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Inroad.WebRtc.Sctp;

/// <summary>
/// One SCTP association (RFC 9260) as WebRTC runs it over DTLS (RFC 8261): sans-IO and single-threaded.
/// Inputs are <see cref="HandlePacket"/>, <see cref="HandleTimeout"/> and the user calls; outputs are
/// packets pulled with <see cref="TryWritePacket"/> into a caller-owned buffer, the next timer deadline
/// (<see cref="NextDeadline"/>) and the <see cref="ISctpAssociationHandler"/> events. Times are offsets
/// on one monotonic clock chosen by the driver. Not thread-safe: the driver serialises all calls.
/// </summary>
internal sealed partial class SctpAssociation
{
    private static readonly TimeSpan Never = TimeSpan.MaxValue;

    private readonly SctpOptions _options;
    private readonly ISctpAssociationHandler _handler;
    private readonly int _mtu;
    private readonly int _maxFragment;
    private readonly Queue<(byte[] Packet, int Length)> _control = new();

    private readonly uint _myTag;
    private uint _peerTag;
    private bool _zeroChecksum;
    private bool _peerForwardTsn;
    private bool _peerReconfig;
    private int _errorCount;
    private int _initAttempts;
    private byte[]? _cookieToEcho;
    private TimeSpan _t1 = Never;
    private TimeSpan _t2 = Never;
    private TimeSpan _heartbeatAt = Never;
    private bool _heartbeatOutstanding;

    public SctpAssociation(SctpOptions options, ISctpAssociationHandler handler)
    {
        options.Validate();
        _options = options;
        _handler = handler;
        _mtu = options.Mtu;
        _maxFragment = _mtu - SctpPacket.CommonHeaderLength - SctpPacket.DataHeaderLength;
        _myTag = RandomNonZero();
        uint initialTsn = RandomNonZero();
        InitSendState(initialTsn);
        _rto = options.RtoInitial;
        _cwnd = InitialCwnd;
        _ssthresh = int.MaxValue;
        _cookieKey = RandomNumberGenerator.GetBytes(32);
    }

    public SctpState State { get; private set; }

    /// <summary>Largest message <see cref="Send"/> takes, set by the layer above (the peer's max-message-size).</summary>
    public int MaxMessageSize { get; set; } = 256 * 1024;

    public SctpStatistics Statistics { get; } = new();

    /// <summary>Largest packet this association writes.</summary>
    public int Mtu => _mtu;

    public TimeSpan SmoothedRtt => _srtt;

    public int CongestionWindow => _cwnd;

    public bool ZeroChecksumInUse => _zeroChecksum;

    public TimeSpan NextDeadline
    {
        get
        {
            TimeSpan d = _t1;
            if (_t2 < d)
            {
                d = _t2;
            }

            if (_t3 < d)
            {
                d = _t3;
            }

            if (_sackAt < d)
            {
                d = _sackAt;
            }

            if (_heartbeatAt < d)
            {
                d = _heartbeatAt;
            }

            if (_reconfigAt < d)
            {
                d = _reconfigAt;
            }

            return d;
        }
    }

    /// <summary>Starts the handshake by sending INIT (both WebRTC peers do this at once; collisions are normal).</summary>
    public void Connect(TimeSpan now)
    {
        if (State != SctpState.Closed || _everEstablished)
        {
            return;
        }

        State = SctpState.CookieWait;
        _initAttempts = 1;
        QueueInit();
        _t1 = now + _rto;
    }

    /// <summary>Graceful close (RFC 9260 §9.2): sends SHUTDOWN once everything queued is acknowledged.</summary>
    public void Shutdown(TimeSpan now)
    {
        if (State == SctpState.Established)
        {
            State = SctpState.ShutdownPending;
            CheckShutdown(now);
        }
        else if (State is SctpState.CookieWait or SctpState.CookieEchoed)
        {
            Abort("Close called");
        }
    }

    /// <summary>ABORT with cause 12 (User-Initiated Abort), what browsers send on <c>pc.close()</c>.</summary>
    public void Abort(string reason)
    {
        if (State == SctpState.Closed)
        {
            return;
        }

        if (_peerTag != 0)
        {
            int reasonLength = Math.Min(System.Text.Encoding.UTF8.GetByteCount(reason), 256);
            byte[] packet = RentControl(out var w, _peerTag);
            if (w.TryBeginChunk(SctpChunkType.Abort, 0, 4 + reasonLength, out Span<byte> v))
            {
                BinaryPrimitives.WriteUInt16BigEndian(v, 12);
                BinaryPrimitives.WriteUInt16BigEndian(v[2..], (ushort)(4 + reasonLength));
                Span<byte> text = stackalloc byte[System.Text.Encoding.UTF8.GetByteCount(reason)];
                System.Text.Encoding.UTF8.GetBytes(reason, text);
                text[..reasonLength].CopyTo(v[4..]);
            }

            QueueControl(packet, ref w, forceChecksum: false);
        }

        Close(SctpError.Aborted, reason);
    }

    /// <summary>
    /// The packets' path is gone: the association ends at once, with nothing sent (nothing could arrive). A peer
    /// that vanished is noticed this way within the ICE consent timeout rather than after every retransmission.
    /// </summary>
    public void TransportClosed()
    {
        if (State != SctpState.Closed)
        {
            Close(SctpError.TransportClosed, "The transport below closed");
        }
    }

    /// <summary>Handles one received SCTP packet. Invalid input is dropped and counted, never thrown.</summary>
    public void HandlePacket(ReadOnlySpan<byte> packet, TimeSpan now)
    {
        Statistics.PacketsReceived++;
        _lastNow = now;
        if (!SctpPacket.TryReadHeader(packet, out ushort src, out ushort dst, out uint tag)
            || src != _options.RemotePort || dst != _options.LocalPort)
        {
            Statistics.PacketsDropped++;
            return;
        }

        uint stored = BinaryPrimitives.ReadUInt32LittleEndian(packet.Slice(8, 4));
        bool checksumOk = (stored == 0 && _zeroChecksum) || SctpCrc32c.Verify(packet);
        if (!checksumOk || !SctpPacket.IsWellFormed(packet))
        {
            Statistics.PacketsDropped++;
            return;
        }

        var reader = new SctpChunkReader(packet[SctpPacket.CommonHeaderLength..]);
        if (!reader.TryRead(out SctpChunk first) || !IsTagAcceptable(first, tag, packet))
        {
            Statistics.PacketsDropped++;
            return;
        }

        bool sawData = false;
        reader = new SctpChunkReader(packet[SctpPacket.CommonHeaderLength..]);
        while (reader.TryRead(out SctpChunk chunk))
        {
            if (!HandleChunk(chunk, tag, now, ref sawData))
            {
                break;
            }
        }

        if (sawData)
        {
            Statistics.DataPacketsReceived++;
            AfterDataReceived(now);
        }
    }

    /// <summary>Runs every timer whose deadline is at or before <paramref name="now"/>.</summary>
    public void HandleTimeout(TimeSpan now)
    {
        if (_t1 <= now)
        {
            OnT1Expired(now);
        }

        if (_t2 <= now)
        {
            OnT2Expired(now);
        }

        if (_t3 <= now)
        {
            OnT3Expired(now);
        }

        if (_sackAt <= now)
        {
            _sackAt = Never;
            _sackNeeded = true;
        }

        if (_reconfigAt <= now)
        {
            _reconfigAt = Never;
            SendReconfigRequest(now);
        }

        if (_heartbeatAt <= now)
        {
            OnHeartbeatDue(now);
        }
    }

    /// <summary>
    /// Writes the next packet to send into <paramref name="destination"/> (at least <see cref="Mtu"/> bytes)
    /// and returns true, or returns false when nothing is due.
    /// </summary>
    public bool TryWritePacket(Span<byte> destination, TimeSpan now, out int written)
    {
        written = 0;
        if (_control.Count > 0)
        {
            (byte[] packet, int length) = _control.Dequeue();
            packet.AsSpan(0, length).CopyTo(destination);
            ArrayPool<byte>.Shared.Return(packet);
            written = length;
            Statistics.PacketsSent++;
            return true;
        }

        if (State is not (SctpState.Established or SctpState.ShutdownPending or SctpState.ShutdownReceived or SctpState.ShutdownSent))
        {
            return false;
        }

        var w = new SctpPacketWriter(destination[.._mtu], _options.LocalPort, _options.RemotePort, _peerTag);
        bool canSendData = State is SctpState.Established or SctpState.ShutdownPending or SctpState.ShutdownReceived;
        bool dataDue = canSendData && HasDataToSend();
        if (_sackNeeded || (dataDue && _ackPending))
        {
            WriteSack(ref w);
        }

        if (_forwardTsnNeeded)
        {
            WriteForwardTsn(ref w, now);
        }

        if (dataDue)
        {
            WriteData(ref w, now);
        }

        if (w.ChunkCount == 0)
        {
            return false;
        }

        written = w.Finish(_zeroChecksum).Length;
        Statistics.PacketsSent++;
        return true;
    }

    private bool HandleChunk(in SctpChunk chunk, uint tag, TimeSpan now, ref bool sawData)
    {
        switch ((SctpChunkType)chunk.Type)
        {
            case SctpChunkType.Data:
                if (State is SctpState.Established or SctpState.ShutdownPending or SctpState.ShutdownSent)
                {
                    HandleData(chunk, now);
                    sawData = true;
                }

                return true;
            case SctpChunkType.Sack:
                HandleSack(chunk.Value, now);
                return true;
            case SctpChunkType.Init:
                HandleInit(chunk.Value);
                return false;
            case SctpChunkType.InitAck:
                HandleInitAck(chunk.Value, now);
                return false;
            case SctpChunkType.CookieEcho:
                return HandleCookieEcho(chunk.Value, tag, now);
            case SctpChunkType.CookieAck:
                if (State == SctpState.CookieEchoed)
                {
                    Establish(now);
                }

                return true;
            case SctpChunkType.Heartbeat:
                QueueHeartbeatAck(chunk.Value);
                return true;
            case SctpChunkType.HeartbeatAck:
                _heartbeatOutstanding = false;
                _errorCount = 0;
                return true;
            case SctpChunkType.Abort:
                Close(SctpError.PeerAborted, DescribeCauses(chunk.Value));
                return false;
            case SctpChunkType.Shutdown:
                HandleShutdown(chunk.Value, now);
                return true;
            case SctpChunkType.ShutdownAck:
                HandleShutdownAck();
                return false;
            case SctpChunkType.ShutdownComplete:
                if (State == SctpState.ShutdownAckSent)
                {
                    Close(SctpError.None, null);
                }

                return false;
            case SctpChunkType.ForwardTsn:
                if (State is SctpState.Established or SctpState.ShutdownPending or SctpState.ShutdownSent)
                {
                    HandleForwardTsn(chunk.Value, now);
                    sawData = true;
                }

                return true;
            case SctpChunkType.ReConfig:
                if (State is SctpState.Established or SctpState.ShutdownPending)
                {
                    HandleReconfig(chunk.Value, now);
                }

                return true;
            case SctpChunkType.Error:
                return true;
            default:
                // RFC 9260 §3.2: the two upper bits say whether to skip an unknown chunk or stop.
                Statistics.UnknownChunks++;
                return (chunk.Type & 0x80) != 0;
        }
    }

    private bool IsTagAcceptable(in SctpChunk first, uint tag, ReadOnlySpan<byte> packet)
    {
        switch ((SctpChunkType)first.Type)
        {
            case SctpChunkType.Init:
                // RFC 9260 §8.5.1: INIT carries tag 0 and nothing else.
                return tag == 0 && SctpPacket.CommonHeaderLength + SctpPacket.Pad4(first.Value.Length + 4) >= packet.Length;
            case SctpChunkType.Abort:
            case SctpChunkType.ShutdownComplete:
                return (first.Flags & 1) != 0 ? tag == _peerTag && _peerTag != 0 : tag == _myTag;
            case SctpChunkType.ShutdownAck:
                return tag == _myTag || (State is SctpState.CookieWait or SctpState.CookieEchoed);
            case SctpChunkType.CookieEcho:
                return true; // checked against the cookie
            default:
                return tag == _myTag && State != SctpState.Closed;
        }
    }

    private void Close(SctpError error, string? reason)
    {
        if (State == SctpState.Closed && _closedNotified)
        {
            return;
        }

        State = SctpState.Closed;
        _closedNotified = true;
        _t1 = _t2 = _t3 = _sackAt = _heartbeatAt = _reconfigAt = Never;
        ReleaseSendBuffers();
        ReleaseReceiveBuffers();
        _handler.OnClosed(this, error, reason);
    }

    private bool _closedNotified;

    private static string DescribeCauses(ReadOnlySpan<byte> causes)
    {
        if (causes.Length < 4)
        {
            return "no cause";
        }

        ushort code = BinaryPrimitives.ReadUInt16BigEndian(causes);
        int length = Math.Clamp(BinaryPrimitives.ReadUInt16BigEndian(causes[2..]), 4, causes.Length);
        ReadOnlySpan<byte> info = causes[4..length];
        string text = code is 12 or 13 ? System.Text.Encoding.UTF8.GetString(info[..Math.Min(info.Length, 256)]) : string.Empty;
        return text.Length > 0 ? $"cause {code}: {text}" : $"cause {code}";
    }

    private byte[] RentControl(out SctpPacketWriter writer, uint tag)
    {
        byte[] packet = ArrayPool<byte>.Shared.Rent(_mtu);
        writer = new SctpPacketWriter(packet.AsSpan(0, _mtu), _options.LocalPort, _options.RemotePort, tag);
        return packet;
    }

    private void QueueControl(byte[] packet, ref SctpPacketWriter writer, bool forceChecksum)
    {
        if (writer.ChunkCount == 0)
        {
            ArrayPool<byte>.Shared.Return(packet);
            return;
        }

        int length = writer.Finish(_zeroChecksum && !forceChecksum).Length;
        if (_control.Count >= 64)
        {
            // A peer that makes us answer faster than we send is not owed unbounded memory.
            ArrayPool<byte>.Shared.Return(packet);
            Statistics.PacketsDropped++;
            return;
        }

        _control.Enqueue((packet, length));
    }

    private static uint RandomNonZero()
    {
        uint v;
        do
        {
            v = BinaryPrimitives.ReadUInt32LittleEndian(RandomNumberGenerator.GetBytes(4));
        }
        while (v == 0);
        return v;
    }

    /// <summary>Serial-number comparison of TSNs (RFC 1982 with 32-bit wrap).</summary>
    private static bool Before(uint a, uint b) => (int)(a - b) < 0;

    private static bool BeforeOrEqual(uint a, uint b) => (int)(a - b) <= 0;
}
