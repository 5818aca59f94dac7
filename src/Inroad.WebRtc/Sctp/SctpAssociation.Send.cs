using System.Buffers;
using System.Buffers.Binary;

namespace Inroad.WebRtc.Sctp;

/// <summary>
/// The sending side: the retransmission queue (a ring indexed by TSN), SACK processing, congestion
/// control (RFC 9260 §7), T3-rtx and partial reliability (RFC 3758).
/// </summary>
internal sealed partial class SctpAssociation
{
    private const byte FlagEnd = 0x01;
    private const byte FlagBegin = 0x02;
    private const byte FlagUnordered = 0x04;

    private OutChunk[] _out = new OutChunk[256];
    private int _outHead;
    private int _outCount;
    private uint _outBaseTsn; // TSN of the oldest chunk not cumulatively acknowledged (_out[_outHead])
    private int _sendIndex;   // offset from the head of the first chunk never sent
    private uint _myInitialTsn;
    private uint _lastCumAck;
    private int _flight;
    private int _pendingRetransmits;
    private int _cwnd;
    private int _ssthresh;
    private int _partialBytesAcked;
    private int _peerRwnd;
    private bool _inFastRecovery;

    // The last send stopped at the congestion window with data still queued. SACKs processed back to back (a
    // received burst) see the flight shrink before anything is sent again, so "flight ≥ cwnd before this SACK"
    // alone would let only the first of them grow the window.
    private bool _cwndLimited;
    private uint _fastRecoveryExit;
    private bool _fastRetransmitNow;
    private bool _forwardTsnNeeded;
    private TimeSpan _t3 = Never;
    private TimeSpan _rto;
    private TimeSpan _srtt;
    private TimeSpan _rttvar;
    private bool _rttTiming;
    private uint _rttTsn;
    private TimeSpan _rttSentAt;
    private readonly Dictionary<ushort, OutStream> _outStreams = [];
    private readonly List<(ushort Stream, ushort Ssn)> _forwardStreams = [];

    private enum ChunkState : byte
    {
        Unsent,
        InFlight,
        GapAcked,
        Abandoned,
        Retransmit,
    }

    private struct OutChunk
    {
        public byte[] Buffer;
        public int Offset;
        public int Length;
        public ushort Stream;
        public ushort Ssn;
        public uint Ppid;
        public byte Flags;
        public ChunkState State;
        public int Transmissions;
        public int Misses;
        public uint Fence;         // highest TSN sent when this chunk was last transmitted (see CountMissingReports)
        public int MaxRetransmits; // -1: reliable
        public TimeSpan Expiry;    // Never: no lifetime
    }

    /// <summary>Per outgoing stream state; <see cref="Buffered"/> may be read from other threads (atomic 64-bit).</summary>
    internal sealed class OutStream
    {
        public ushort NextSsn;
        public long Buffered;
        public long LowThreshold;
        public long ResumeMark;
    }

    private int InitialCwnd => Math.Min(4 * _mtu, Math.Max(2 * _mtu, 4404));

    private void InitSendState(uint initialTsn)
    {
        _myInitialTsn = initialTsn;
        _outBaseTsn = initialTsn;
        _lastCumAck = initialTsn - 1;
        _nextRequestSeq = initialTsn;
    }

    /// <summary>Bytes of queued messages on <paramref name="stream"/> not yet sent once (the WebRTC bufferedAmount).</summary>
    public long GetBufferedAmount(ushort stream) => _outStreams.TryGetValue(stream, out OutStream? s) ? s.Buffered : 0;

    /// <summary>Total bytes held for sending or retransmission.</summary>
    public long QueuedBytes { get; private set; }

    /// <summary>
    /// The counters of an outgoing stream, created on first use. <see cref="ISctpAssociationHandler.OnBufferedAmountLow"/>
    /// fires when its buffered amount falls to <c>LowThreshold</c> or to <c>ResumeMark</c>.
    /// </summary>
    public OutStream GetOutStream(ushort stream)
    {
        if (!_outStreams.TryGetValue(stream, out OutStream? s))
        {
            s = new OutStream();
            _outStreams[stream] = s;
        }

        return s;
    }

    /// <summary>
    /// Queues one message. The bytes are copied; fragments get consecutive TSNs (RFC 9260 §6.9).
    /// Throws <see cref="SctpException"/> if the association cannot send or the message is too large.
    /// </summary>
    public void Send(ushort stream, uint ppid, ReadOnlySpan<byte> message, in SctpSendOptions options, TimeSpan now)
    {
        if (State is not (SctpState.Established or SctpState.CookieWait or SctpState.CookieEchoed))
        {
            SctpException.Throw(SctpError.Closed, $"Cannot send in state {State}.");
        }

        if (message.IsEmpty || message.Length > MaxMessageSize)
        {
            SctpException.Throw(SctpError.MessageTooLarge, $"Message of {message.Length} bytes is empty or exceeds {MaxMessageSize}.");
        }

        OutStream s = GetOutStream(stream);
        ushort ssn = 0;
        if (!options.Unordered)
        {
            ssn = s.NextSsn++;
        }

        byte[] buffer = ArrayPool<byte>.Shared.Rent(message.Length);
        message.CopyTo(buffer);
        int fragments = (message.Length + _maxFragment - 1) / _maxFragment;
        EnsureOutCapacity(fragments);
        int maxRetx = options.MaxRetransmits is int m && _peerForwardTsn ? Math.Max(m, 0) : -1;
        TimeSpan expiry = options.Lifetime is TimeSpan l && _peerForwardTsn ? now + l : Never;
        int offset = 0;
        for (int i = 0; i < fragments; i++)
        {
            int length = Math.Min(_maxFragment, message.Length - offset);
            byte flags = (byte)((i == 0 ? FlagBegin : 0) | (i == fragments - 1 ? FlagEnd : 0) | (options.Unordered ? FlagUnordered : 0));
            ref OutChunk c = ref _out[(_outHead + _outCount) & (_out.Length - 1)];
            c = new OutChunk
            {
                Buffer = buffer,
                Offset = offset,
                Length = length,
                Stream = stream,
                Ssn = ssn,
                Ppid = ppid,
                Flags = flags,
                State = ChunkState.Unsent,
                MaxRetransmits = maxRetx,
                Expiry = expiry,
            };
            _outCount++;
            offset += length;
        }

        Volatile.Write(ref s.Buffered, s.Buffered + message.Length);
        QueuedBytes += message.Length;
    }

    private void EnsureOutCapacity(int more)
    {
        if (_outCount + more <= _out.Length)
        {
            return;
        }

        int size = _out.Length;
        while (size < _outCount + more)
        {
            size *= 2;
        }

        var bigger = new OutChunk[size];
        for (int i = 0; i < _outCount; i++)
        {
            bigger[i] = _out[(_outHead + i) & (_out.Length - 1)];
        }

        _out = bigger;
        _outHead = 0;
    }

    private ref OutChunk At(int index) => ref _out[(_outHead + index) & (_out.Length - 1)];

    private bool HasDataToSend()
    {
        if (_pendingRetransmits > 0)
        {
            return _flight < _cwnd || _fastRetransmitNow;
        }

        return _sendIndex < _outCount && (_flight < _cwnd) && (_peerRwnd > 0 || _flight == 0);
    }

    private void WriteData(ref SctpPacketWriter w, TimeSpan now)
    {
        bool bypassCwnd = _fastRetransmitNow;
        _fastRetransmitNow = false;
        if (_pendingRetransmits > 0)
        {
            for (int i = 0; i < _sendIndex && _pendingRetransmits > 0; i++)
            {
                ref OutChunk c = ref At(i);
                if (c.State != ChunkState.Retransmit)
                {
                    continue;
                }

                if ((c.MaxRetransmits >= 0 && c.Transmissions > c.MaxRetransmits) || c.Expiry <= now)
                {
                    AbandonMessage(i);
                    continue;
                }

                if (!bypassCwnd && _flight >= _cwnd)
                {
                    _cwndLimited = true;
                    return;
                }

                if (!w.TryWriteData(_outBaseTsn + (uint)i, c.Stream, c.Ssn, c.Ppid, c.Flags, c.Buffer.AsSpan(c.Offset, c.Length)))
                {
                    return;
                }

                c.State = ChunkState.InFlight;
                c.Transmissions++;
                c.Misses = 0;
                c.Fence = _outBaseTsn + (uint)_sendIndex - 1;
                _pendingRetransmits--;
                _flight += c.Length;
                Statistics.Retransmissions++;
                Statistics.DataChunksSent++;
                if (_rttTiming && _rttTsn == _outBaseTsn + (uint)i)
                {
                    _rttTiming = false; // Karn's rule
                }

                if (_t3 == Never)
                {
                    _t3 = now + _rto;
                }
            }
        }

        while (_sendIndex < _outCount)
        {
            ref OutChunk c = ref At(_sendIndex);
            if (c.State == ChunkState.Abandoned)
            {
                _sendIndex++;
                continue;
            }

            if (c.Expiry <= now)
            {
                AbandonMessage(_sendIndex);
                continue;
            }

            if (_flight >= _cwnd || (_peerRwnd < c.Length && _flight > 0))
            {
                _cwndLimited = _flight >= _cwnd;
                return;
            }

            uint tsn = _outBaseTsn + (uint)_sendIndex;
            if (!w.TryWriteData(tsn, c.Stream, c.Ssn, c.Ppid, c.Flags, c.Buffer.AsSpan(c.Offset, c.Length)))
            {
                return;
            }

            c.State = ChunkState.InFlight;
            c.Transmissions = 1;
            c.Fence = tsn;
            _flight += c.Length;
            _peerRwnd = Math.Max(0, _peerRwnd - c.Length);
            _sendIndex++;
            Statistics.DataChunksSent++;
            DecreaseBuffered(c.Stream, c.Length);
            if (!_rttTiming)
            {
                _rttTiming = true;
                _rttTsn = tsn;
                _rttSentAt = now;
            }

            if (_t3 == Never)
            {
                _t3 = now + _rto;
            }
        }

        _cwndLimited = false; // everything queued is sent: the application, not the window, is the limit
    }

    private void DecreaseBuffered(ushort stream, int length)
    {
        if (!_outStreams.TryGetValue(stream, out OutStream? s))
        {
            return;
        }

        long before = s.Buffered;
        long after = before - length;
        Volatile.Write(ref s.Buffered, after);
        if ((before > s.LowThreshold && after <= s.LowThreshold) || (before > s.ResumeMark && after <= s.ResumeMark))
        {
            _handler.OnBufferedAmountLow(this, stream);
        }
    }

    /// <summary>Abandons every fragment of the message holding chunk <paramref name="index"/> (RFC 3758 §3.5).</summary>
    private void AbandonMessage(int index)
    {
        int start = index;
        while (start > 0 && (At(start).Flags & FlagBegin) == 0)
        {
            start--;
        }

        int end = index;
        while (end < _outCount - 1 && (At(end).Flags & FlagEnd) == 0)
        {
            end++;
        }

        for (int i = start; i <= end; i++)
        {
            ref OutChunk c = ref At(i);
            switch (c.State)
            {
                case ChunkState.InFlight:
                    _flight -= c.Length;
                    break;
                case ChunkState.Retransmit:
                    _pendingRetransmits--;
                    break;
                case ChunkState.Unsent:
                    DecreaseBuffered(c.Stream, c.Length);
                    break;
            }

            if (c.State != ChunkState.GapAcked)
            {
                c.State = ChunkState.Abandoned;
            }
        }

        Statistics.AbandonedMessages++;
        _forwardTsnNeeded = true;
    }

    private void HandleSack(ReadOnlySpan<byte> v, TimeSpan now)
    {
        if (State is SctpState.Closed or SctpState.CookieWait or SctpState.CookieEchoed)
        {
            return;
        }

        uint cumAck = BinaryPrimitives.ReadUInt32BigEndian(v);
        uint arwnd = BinaryPrimitives.ReadUInt32BigEndian(v[4..]);
        int gapCount = BinaryPrimitives.ReadUInt16BigEndian(v[8..]);
        if (Before(cumAck, _lastCumAck) || !Before(cumAck, _outBaseTsn + (uint)_sendIndex))
        {
            return; // old, reordered SACK; or acknowledges what we never sent
        }

        int flightBefore = _flight;
        bool advanced = cumAck != _lastCumAck;
        int bytesAcked = AckUpTo(cumAck, now);
        uint highestNewlyAcked = cumAck;
        ReadOnlySpan<byte> gaps = v.Slice(12, 4 * gapCount);
        for (int g = 0; g < gapCount; g++)
        {
            uint start = cumAck + BinaryPrimitives.ReadUInt16BigEndian(gaps[(4 * g)..]);
            uint end = cumAck + BinaryPrimitives.ReadUInt16BigEndian(gaps[((4 * g) + 2)..]);
            for (uint t = start; BeforeOrEqual(t, end); t++)
            {
                int i = (int)(t - _outBaseTsn);
                if (i < 0 || i >= _sendIndex)
                {
                    break;
                }

                ref OutChunk c = ref At(i);
                if (c.State is ChunkState.InFlight or ChunkState.Retransmit)
                {
                    if (c.State == ChunkState.InFlight)
                    {
                        _flight -= c.Length;
                    }
                    else
                    {
                        _pendingRetransmits--;
                    }

                    bytesAcked += c.Length;
                    c.State = ChunkState.GapAcked;
                    if (Before(highestNewlyAcked, t))
                    {
                        highestNewlyAcked = t;
                    }
                }
            }
        }

        if (gapCount > 0)
        {
            CountMissingReports(highestNewlyAcked);
        }

        _peerRwnd = (int)Math.Max(0, Math.Min(arwnd, int.MaxValue) - _flight);
        if (advanced)
        {
            _errorCount = 0;
            _heartbeatAt = now + _options.HeartbeatInterval;
            if (_inFastRecovery && BeforeOrEqual(_fastRecoveryExit, cumAck))
            {
                _inFastRecovery = false;
            }

            if (!_inFastRecovery && bytesAcked > 0)
            {
                bool windowFull = flightBefore >= _cwnd || _cwndLimited;
                if (_cwnd <= _ssthresh)
                {
                    if (windowFull)
                    {
                        _cwnd += Math.Min(bytesAcked, _mtu);
                    }
                }
                else
                {
                    _partialBytesAcked += bytesAcked;
                    if (_partialBytesAcked >= _cwnd && windowFull)
                    {
                        _partialBytesAcked -= _cwnd;
                        _cwnd += _mtu;
                    }
                }
            }
        }
        else if (AdvancedPeerAckPoint() != _lastCumAck)
        {
            _forwardTsnNeeded = true;
        }

        if (_flight == 0 && AdvancedPeerAckPoint() == _lastCumAck)
        {
            _t3 = Never;
            _partialBytesAcked = 0;
        }
        else if (advanced)
        {
            _t3 = now + _rto;
        }

        CheckShutdown(now);
    }

    /// <summary>Removes chunks up to <paramref name="cumAck"/>; returns bytes newly acknowledged.</summary>
    private int AckUpTo(uint cumAck, TimeSpan now)
    {
        int bytesAcked = 0;
        while (_outCount > 0 && BeforeOrEqual(_outBaseTsn, cumAck) && _sendIndex > 0)
        {
            ref OutChunk c = ref _out[_outHead];
            switch (c.State)
            {
                case ChunkState.InFlight:
                    _flight -= c.Length;
                    bytesAcked += c.Length;
                    break;
                case ChunkState.Retransmit:
                    _pendingRetransmits--;
                    bytesAcked += c.Length;
                    break;
            }

            if (_rttTiming && _rttTsn == _outBaseTsn)
            {
                _rttTiming = false;
                if (c.Transmissions == 1)
                {
                    UpdateRtt(now - _rttSentAt);
                }
            }

            QueuedBytes -= c.Length;
            if ((c.Flags & FlagEnd) != 0)
            {
                ArrayPool<byte>.Shared.Return(c.Buffer);
            }

            c = default;
            _outHead = (_outHead + 1) & (_out.Length - 1);
            _outCount--;
            _sendIndex--;
            _outBaseTsn++;
        }

        _lastCumAck = cumAck;
        return bytesAcked;
    }

    private void ProcessCumulativeAck(uint cumAck, TimeSpan now)
    {
        if (Before(_lastCumAck, cumAck) && Before(cumAck, _outBaseTsn + (uint)_sendIndex))
        {
            AckUpTo(cumAck, now);
            if (_flight == 0)
            {
                _t3 = Never;
            }
        }
    }

    /// <summary>
    /// RFC 9260 §7.2.4: three miss indications trigger fast retransmit and, once per window, fast recovery. Miss
    /// indications follow HTNA, and for a retransmitted chunk they count only once the SACK newly acknowledges a TSN
    /// sent after that retransmission (<see cref="OutChunk.Fence"/>): until then every SACK still reports the hole,
    /// because the copy is still on its way. Without this a 20 ms path re-sent one lost packet every third SACK for a
    /// whole round trip (25 copies in the unit test, 11 % duplicate DATA in the lab); with it a lost retransmission is
    /// still recovered by fast retransmit, one round trip later, not by T3.
    /// </summary>
    private void CountMissingReports(uint highestNewlyAcked)
    {
        int limit = (int)(highestNewlyAcked - _outBaseTsn);
        bool any = false;
        for (int i = 0; i < limit && i < _sendIndex; i++)
        {
            ref OutChunk c = ref At(i);
            if (c.State != ChunkState.InFlight || !Before(c.Fence, highestNewlyAcked) || ++c.Misses < 3)
            {
                continue;
            }

            c.Misses = 0;
            if ((c.MaxRetransmits >= 0 && c.Transmissions > c.MaxRetransmits))
            {
                AbandonMessage(i);
                continue;
            }

            c.State = ChunkState.Retransmit;
            _flight -= c.Length;
            _pendingRetransmits++;
            Statistics.FastRetransmits++;
            any = true;
        }

        if (any && !_inFastRecovery)
        {
            _ssthresh = Math.Max(_cwnd / 2, 4 * _mtu);
            _cwnd = _ssthresh;
            _partialBytesAcked = 0;
            _inFastRecovery = true;
            _fastRecoveryExit = _outBaseTsn + (uint)_sendIndex - 1;
            _fastRetransmitNow = true;
        }
    }

    private void OnT3Expired(TimeSpan now)
    {
        _t3 = Never;
        bool outstanding = false;
        for (int i = 0; i < _sendIndex; i++)
        {
            ref OutChunk c = ref At(i);
            if (c.State == ChunkState.InFlight)
            {
                outstanding = true;
                if ((c.MaxRetransmits >= 0 && c.Transmissions > c.MaxRetransmits) || c.Expiry <= now)
                {
                    AbandonMessage(i);
                    continue;
                }

                c.State = ChunkState.Retransmit;
                _flight -= c.Length;
                _pendingRetransmits++;
            }
        }

        if (AdvancedPeerAckPoint() != _lastCumAck)
        {
            outstanding = true;
            _forwardTsnNeeded = true;
        }

        if (!outstanding)
        {
            return;
        }

        Statistics.T3Expirations++;
        if (++_errorCount > _options.MaxRetransmissions)
        {
            Abort("Too many retransmissions");
            return;
        }

        _ssthresh = Math.Max(_cwnd / 2, 4 * _mtu);
        _cwnd = _mtu;
        _partialBytesAcked = 0;
        _inFastRecovery = false;
        _rttTiming = false;
        _rto = Min(_rto + _rto, _options.RtoMax);
        _t3 = now + _rto;
    }

    private void UpdateRtt(TimeSpan r)
    {
        if (_srtt == TimeSpan.Zero)
        {
            _srtt = r;
            _rttvar = r / 2;
        }
        else
        {
            _rttvar = ((_rttvar * 3) + (_srtt - r).Duration()) / 4;
            _srtt = ((_srtt * 7) + r) / 8;
        }

        TimeSpan rto = _srtt + (4 * _rttvar);
        _rto = rto < _options.RtoMin ? _options.RtoMin : Min(rto, _options.RtoMax);
    }

    /// <summary>RFC 3758 §3.5 C: the cumulative point advanced over abandoned chunks.</summary>
    private uint AdvancedPeerAckPoint()
    {
        int i = 0;
        while (i < _sendIndex && At(i).State == ChunkState.Abandoned)
        {
            i++;
        }

        return _outBaseTsn + (uint)i - 1;
    }

    private void WriteForwardTsn(ref SctpPacketWriter w, TimeSpan now)
    {
        _forwardTsnNeeded = false;
        uint point = AdvancedPeerAckPoint();
        if (point == _lastCumAck || !_peerForwardTsn)
        {
            return;
        }

        _forwardStreams.Clear();
        int count = (int)(point - _outBaseTsn) + 1;
        for (int i = 0; i < count; i++)
        {
            ref OutChunk c = ref At(i);
            if ((c.Flags & FlagUnordered) != 0)
            {
                continue;
            }

            int found = -1;
            for (int k = 0; k < _forwardStreams.Count; k++)
            {
                if (_forwardStreams[k].Stream == c.Stream)
                {
                    found = k;
                    break;
                }
            }

            if (found >= 0)
            {
                _forwardStreams[found] = (c.Stream, c.Ssn);
            }
            else
            {
                _forwardStreams.Add((c.Stream, c.Ssn));
            }
        }

        if (!w.TryBeginChunk(SctpChunkType.ForwardTsn, 0, 4 + (4 * _forwardStreams.Count), out Span<byte> v))
        {
            _forwardTsnNeeded = true;
            return;
        }

        BinaryPrimitives.WriteUInt32BigEndian(v, point);
        for (int i = 0; i < _forwardStreams.Count; i++)
        {
            BinaryPrimitives.WriteUInt16BigEndian(v[(4 + (4 * i))..], _forwardStreams[i].Stream);
            BinaryPrimitives.WriteUInt16BigEndian(v[(6 + (4 * i))..], _forwardStreams[i].Ssn);
        }

        if (_t3 == Never)
        {
            _t3 = now + _rto;
        }
    }

    private void ReleaseSendBuffers()
    {
        for (int i = 0; i < _outCount; i++)
        {
            ref OutChunk c = ref At(i);
            if ((c.Flags & FlagEnd) != 0 && c.Buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(c.Buffer);
            }

            c = default;
        }

        _outCount = 0;
        _sendIndex = 0;
        _flight = 0;
        _pendingRetransmits = 0;
        QueuedBytes = 0;
    }
}
