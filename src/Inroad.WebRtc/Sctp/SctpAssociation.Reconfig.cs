using System.Buffers.Binary;

namespace Inroad.WebRtc.Sctp;

/// <summary>
/// RFC 6525 stream reset, the way WebRTC closes a data channel (RFC 8831 §6.7): each side resets its
/// outgoing stream; the receiver performs a reset only once it has every TSN before the sender's last.
/// </summary>
internal sealed partial class SctpAssociation
{
    private const uint ResultSuccess = 1;
    private const uint ResultDenied = 2;
    private const uint ResultBadSequence = 5;
    private const uint ResultInProgress = 6;

    private readonly List<ushort> _resetQueue = [];
    private ushort[]? _resetInFlight;
    private uint _nextRequestSeq;
    private uint _peerRequestSeqExpected;
    private TimeSpan _reconfigAt = Never;
    private (uint Seq, uint LastTsn, ushort[] Streams)? _deferredPeerReset;

    /// <summary>Resets our outgoing <paramref name="streams"/>; <see cref="ISctpAssociationHandler.OnOutgoingStreamsReset"/> follows.</summary>
    public void ResetStreams(ReadOnlySpan<ushort> streams, TimeSpan now)
    {
        if (State != SctpState.Established)
        {
            return;
        }

        foreach (ushort s in streams)
        {
            if (!_resetQueue.Contains(s) && (_resetInFlight is null || Array.IndexOf(_resetInFlight, s) < 0))
            {
                _resetQueue.Add(s);
            }
        }

        if (_resetInFlight is null && _resetQueue.Count > 0)
        {
            _resetInFlight = [.. _resetQueue];
            _resetQueue.Clear();
            SendReconfigRequest(now);
        }
    }

    private void SendReconfigRequest(TimeSpan now)
    {
        if (_resetInFlight is null || State != SctpState.Established)
        {
            return;
        }

        if (!_peerReconfig)
        {
            // A peer without RE-CONFIG cannot hear a reset; the channel closes on our side only.
            ushort[] done = _resetInFlight;
            _resetInFlight = null;
            _handler.OnOutgoingStreamsReset(this, done);
            return;
        }

        int length = 16 + (2 * _resetInFlight.Length);
        byte[] packet = RentControl(out var w, _peerTag);
        if (w.TryBeginChunk(SctpChunkType.ReConfig, 0, length, out Span<byte> v))
        {
            BinaryPrimitives.WriteUInt16BigEndian(v, SctpPacket.ParamOutgoingResetRequest);
            BinaryPrimitives.WriteUInt16BigEndian(v[2..], (ushort)length);
            BinaryPrimitives.WriteUInt32BigEndian(v[4..], _nextRequestSeq);
            BinaryPrimitives.WriteUInt32BigEndian(v[8..], _peerRequestSeqExpected - 1);
            BinaryPrimitives.WriteUInt32BigEndian(v[12..], _outBaseTsn + (uint)_outCount - 1);
            for (int i = 0; i < _resetInFlight.Length; i++)
            {
                BinaryPrimitives.WriteUInt16BigEndian(v[(16 + (2 * i))..], _resetInFlight[i]);
            }
        }

        QueueControl(packet, ref w, forceChecksum: false);
        _reconfigAt = now + _rto;
    }

    private void HandleReconfig(ReadOnlySpan<byte> v, TimeSpan now)
    {
        var reader = new SctpParameterReader(v);
        while (reader.TryRead(out ushort type, out ReadOnlySpan<byte> p))
        {
            if (type == SctpPacket.ParamOutgoingResetRequest && p.Length >= 12 && p.Length % 2 == 0)
            {
                HandlePeerResetRequest(p, now);
            }
            else if (type == SctpPacket.ParamReconfigResponse && p.Length >= 8)
            {
                HandleReconfigResponse(BinaryPrimitives.ReadUInt32BigEndian(p), BinaryPrimitives.ReadUInt32BigEndian(p[4..]), now);
            }
            else if (type is SctpPacket.ParamIncomingResetRequest or 17 or 18 && p.Length >= 4)
            {
                QueueReconfigResponse(BinaryPrimitives.ReadUInt32BigEndian(p), ResultDenied);
            }
        }
    }

    private void HandlePeerResetRequest(ReadOnlySpan<byte> p, TimeSpan now)
    {
        uint seq = BinaryPrimitives.ReadUInt32BigEndian(p);
        uint lastTsn = BinaryPrimitives.ReadUInt32BigEndian(p[8..]);
        if (seq == _peerRequestSeqExpected - 1)
        {
            QueueReconfigResponse(seq, ResultSuccess);
            return;
        }

        if (seq != _peerRequestSeqExpected)
        {
            QueueReconfigResponse(seq, ResultBadSequence);
            return;
        }

        if (_deferredPeerReset is null)
        {
            var streams = new ushort[(p.Length - 12) / 2];
            for (int i = 0; i < streams.Length; i++)
            {
                streams[i] = BinaryPrimitives.ReadUInt16BigEndian(p[(12 + (2 * i))..]);
            }

            _deferredPeerReset = (seq, lastTsn, streams);
        }

        if (!CheckDeferredPeerReset(now))
        {
            QueueReconfigResponse(seq, ResultInProgress);
        }
    }

    /// <summary>Performs a deferred peer reset once every TSN up to its last TSN has arrived.</summary>
    private bool CheckDeferredPeerReset(TimeSpan now)
    {
        if (_deferredPeerReset is not { } r || !BeforeOrEqual(r.LastTsn, _cumTsn))
        {
            return false;
        }

        _deferredPeerReset = null;
        _peerRequestSeqExpected++;
        if (r.Streams.Length == 0)
        {
            foreach (InStream s in _inStreams.Values)
            {
                s.NextSsn = 0;
                s.Complete.Clear();
            }
        }
        else
        {
            foreach (ushort id in r.Streams)
            {
                if (_inStreams.TryGetValue(id, out InStream? s))
                {
                    s.NextSsn = 0;
                    s.Complete.Clear();
                }
            }
        }

        QueueReconfigResponse(r.Seq, ResultSuccess);
        _handler.OnIncomingStreamsReset(this, r.Streams);
        _ = now;
        return true;
    }

    private void HandleReconfigResponse(uint seq, uint result, TimeSpan now)
    {
        if (_resetInFlight is null || seq != _nextRequestSeq)
        {
            return;
        }

        if (result == ResultInProgress)
        {
            _reconfigAt = now + _rto;
            return;
        }

        ushort[] done = _resetInFlight;
        _resetInFlight = null;
        _reconfigAt = Never;
        _nextRequestSeq++;
        foreach (ushort id in done)
        {
            if (_outStreams.TryGetValue(id, out OutStream? s))
            {
                s.NextSsn = 0;
            }
        }

        _handler.OnOutgoingStreamsReset(this, done);
        if (_resetQueue.Count > 0 && State == SctpState.Established)
        {
            _resetInFlight = [.. _resetQueue];
            _resetQueue.Clear();
            SendReconfigRequest(now);
        }
    }

    private void QueueReconfigResponse(uint seq, uint result)
    {
        byte[] packet = RentControl(out var w, _peerTag);
        if (w.TryBeginChunk(SctpChunkType.ReConfig, 0, 12, out Span<byte> v))
        {
            BinaryPrimitives.WriteUInt16BigEndian(v, SctpPacket.ParamReconfigResponse);
            BinaryPrimitives.WriteUInt16BigEndian(v[2..], 12);
            BinaryPrimitives.WriteUInt32BigEndian(v[4..], seq);
            BinaryPrimitives.WriteUInt32BigEndian(v[8..], result);
        }

        QueueControl(packet, ref w, forceChecksum: false);
    }
}
