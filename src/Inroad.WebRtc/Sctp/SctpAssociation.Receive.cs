using System.Buffers;
using System.Buffers.Binary;

namespace Inroad.WebRtc.Sctp;

/// <summary>
/// The receiving side: TSN tracking for SACK gap reports, reassembly, ordered and unordered delivery,
/// FORWARD-TSN, and the receive window. Memory is bounded by the advertised window and a TSN horizon.
/// </summary>
internal sealed partial class SctpAssociation
{
    private const int TsnHorizon = 1 << 14;

    private readonly bool[] _receivedAhead = new bool[TsnHorizon];
    private readonly Dictionary<uint, InFragment> _fragments = new(256);
    private readonly Dictionary<ushort, InStream> _inStreams = [];
    private readonly Stack<byte[]> _fragmentPool = new();
    private readonly List<uint> _scratchTsns = [];
    private readonly uint[] _duplicates = new uint[16];
    private int _duplicateCount;
    private uint _cumTsn;
    private uint _highestTsn;
    private long _fragmentBytes;
    private long _unreleasedBytes;
    private bool _ackPending;
    private bool _sackNeeded;

    /// <summary>A SACK is due now (every second DATA packet, a gap or a duplicate), not on the delayed-ack timer.</summary>
    internal bool SackNeeded => _sackNeeded;
    private int _dataPacketsSinceSack;
    private bool _gapOrDuplicate;
    private TimeSpan _sackAt = Never;
    private TimeSpan _lastNow;

    private struct InFragment
    {
        public byte[] Buffer;
        public int Length;
        public ushort Stream;
        public ushort Ssn;
        public uint Ppid;
        public byte Flags;
    }

    private sealed class InStream
    {
        public ushort NextSsn;
        public readonly List<(ushort Ssn, uint First, uint Last)> Complete = [];
    }

    /// <summary>Bytes held for reassembly plus delivered bytes the reader has not released.</summary>
    public long ReceiveHeldBytes => _fragmentBytes + _unreleasedBytes;

    /// <summary>Packets built and waiting to be sent (answers to the peer), bounded.</summary>
    public int ControlQueueLength => _control.Count;

    /// <summary>Bytes the receive window has room for now (a_rwnd).</summary>
    public int AdvertisedWindow => (int)Math.Max(0, _options.ReceiveWindow - _fragmentBytes - _unreleasedBytes);

    /// <summary>
    /// The layer above consumed <paramref name="bytes"/> of delivered messages: they no longer count
    /// against the receive window. Sends a window update if the window reopens.
    /// </summary>
    public void ReleaseReceived(int bytes)
    {
        int before = AdvertisedWindow;
        _unreleasedBytes = Math.Max(0, _unreleasedBytes - bytes);
        if (before < _options.ReceiveWindow / 4 && AdvertisedWindow >= _options.ReceiveWindow / 4)
        {
            _sackNeeded = true;
        }
    }

    private void InitReceiveState(uint peerInitialTsn)
    {
        _cumTsn = peerInitialTsn - 1;
        _highestTsn = _cumTsn;
        _peerRequestSeqExpected = peerInitialTsn;
        Array.Clear(_receivedAhead);
    }

    private void HandleData(in SctpChunk chunk, TimeSpan now)
    {
        ReadOnlySpan<byte> v = chunk.Value;
        uint tsn = BinaryPrimitives.ReadUInt32BigEndian(v);
        ushort stream = BinaryPrimitives.ReadUInt16BigEndian(v[4..]);
        ushort ssn = BinaryPrimitives.ReadUInt16BigEndian(v[6..]);
        uint ppid = BinaryPrimitives.ReadUInt32BigEndian(v[8..]);
        ReadOnlySpan<byte> data = v[12..];
        Statistics.DataChunksReceived++;
        _ackPending = true;

        if (BeforeOrEqual(tsn, _cumTsn) || (Before(tsn, _cumTsn + TsnHorizon) && _receivedAhead[tsn & (TsnHorizon - 1)]))
        {
            Statistics.DuplicateChunksReceived++;
            if (_duplicateCount < _duplicates.Length)
            {
                _duplicates[_duplicateCount++] = tsn;
            }

            _gapOrDuplicate = true;
            return;
        }

        if (!Before(tsn, _cumTsn + TsnHorizon))
        {
            Statistics.PacketsDropped++;
            return;
        }

        bool single = (chunk.Flags & (FlagBegin | FlagEnd)) == (FlagBegin | FlagEnd);
        bool unordered = (chunk.Flags & FlagUnordered) != 0;
        InStream s = GetInStream(stream);
        bool deliverNow = single && (unordered || ssn == s.NextSsn);

        // Receive window (RFC 9260 §6.2): beyond it, drop; the sender retries. The next in-sequence TSN may
        // overrun up to twice the window while the reader keeps up, so held fragments cannot deadlock it.
        long held = _fragmentBytes + _unreleasedBytes + data.Length;
        if (held > _options.ReceiveWindow
            && (tsn != _cumTsn + 1 || held > 2L * _options.ReceiveWindow || _unreleasedBytes >= _options.ReceiveWindow))
        {
            Statistics.PacketsDropped++;
            return;
        }

        MarkReceived(tsn);
        if (deliverNow)
        {
            Deliver(stream, ppid, data);
            if (!unordered)
            {
                s.NextSsn++;
                DeliverCompleteInOrder(s, stream);
            }

            return;
        }

        byte[] buffer = RentFragment(data.Length);
        data.CopyTo(buffer);
        _fragments[tsn] = new InFragment { Buffer = buffer, Length = data.Length, Stream = stream, Ssn = ssn, Ppid = ppid, Flags = chunk.Flags };
        _fragmentBytes += buffer.Length;
        TryAssemble(tsn);
    }

    private InStream GetInStream(ushort stream)
    {
        if (!_inStreams.TryGetValue(stream, out InStream? s))
        {
            if (_inStreams.Count >= _options.Streams)
            {
                _inStreams.Clear(); // unreachable for a valid peer; keeps memory bounded for an invalid one
            }

            s = new InStream();
            _inStreams[stream] = s;
        }

        return s;
    }

    private void MarkReceived(uint tsn)
    {
        if (tsn == _cumTsn + 1)
        {
            _cumTsn = tsn;
            while (_receivedAhead[(_cumTsn + 1) & (TsnHorizon - 1)] && Before(_cumTsn, _highestTsn))
            {
                _cumTsn++;
                _receivedAhead[_cumTsn & (TsnHorizon - 1)] = false;
            }

            if (Before(_highestTsn, _cumTsn))
            {
                _highestTsn = _cumTsn;
            }

            if (_cumTsn != _highestTsn)
            {
                _gapOrDuplicate = true;
            }
        }
        else
        {
            _receivedAhead[tsn & (TsnHorizon - 1)] = true;
            if (Before(_highestTsn, tsn))
            {
                _highestTsn = tsn;
            }

            _gapOrDuplicate = true;
        }
    }

    /// <summary>Finds the whole message around <paramref name="tsn"/> (fragments have consecutive TSNs).</summary>
    private void TryAssemble(uint tsn)
    {
        InFragment f = _fragments[tsn];
        uint first = tsn;
        while ((_fragments[first].Flags & FlagBegin) == 0)
        {
            if (!_fragments.TryGetValue(first - 1, out InFragment prev) || prev.Stream != f.Stream || (prev.Flags & FlagEnd) != 0)
            {
                return;
            }

            first--;
        }

        uint last = tsn;
        while ((_fragments[last].Flags & FlagEnd) == 0)
        {
            if (!_fragments.TryGetValue(last + 1, out InFragment next) || next.Stream != f.Stream || (next.Flags & FlagBegin) != 0)
            {
                return;
            }

            last++;
        }

        InStream s = GetInStream(f.Stream);
        if ((f.Flags & FlagUnordered) != 0)
        {
            DeliverFragments(first, last);
            return;
        }

        if (f.Ssn == s.NextSsn)
        {
            DeliverFragments(first, last);
            s.NextSsn++;
            DeliverCompleteInOrder(s, f.Stream);
        }
        else if (s.Complete.Count < 4096)
        {
            s.Complete.Add((f.Ssn, first, last));
        }
    }

    private void DeliverCompleteInOrder(InStream s, ushort stream)
    {
        bool progress = s.Complete.Count > 0;
        while (progress)
        {
            progress = false;
            for (int i = 0; i < s.Complete.Count; i++)
            {
                (ushort ssn, uint first, uint last) = s.Complete[i];
                if (ssn != s.NextSsn)
                {
                    continue;
                }

                s.Complete.RemoveAt(i);
                DeliverFragments(first, last);
                s.NextSsn++;
                progress = true;
                break;
            }
        }

        _ = stream;
    }

    private void DeliverFragments(uint first, uint last)
    {
        InFragment head = _fragments[first];
        if (first == last)
        {
            Deliver(head.Stream, head.Ppid, head.Buffer.AsSpan(0, head.Length));
            RemoveFragment(first);
            return;
        }

        int total = 0;
        for (uint t = first; BeforeOrEqual(t, last); t++)
        {
            total += _fragments[t].Length;
        }

        byte[] message = ArrayPool<byte>.Shared.Rent(total);
        int offset = 0;
        for (uint t = first; BeforeOrEqual(t, last); t++)
        {
            InFragment f = _fragments[t];
            f.Buffer.AsSpan(0, f.Length).CopyTo(message.AsSpan(offset));
            offset += f.Length;
            RemoveFragment(t);
        }

        Deliver(head.Stream, head.Ppid, message.AsSpan(0, total));
        ArrayPool<byte>.Shared.Return(message);
    }

    private void Deliver(ushort stream, uint ppid, ReadOnlySpan<byte> data)
    {
        _unreleasedBytes += data.Length;
        Statistics.MessagesDelivered++;
        Statistics.BytesDelivered += data.Length;
        _handler.OnMessage(this, stream, ppid, data);
    }

    private void RemoveFragment(uint tsn)
    {
        if (_fragments.Remove(tsn, out InFragment f))
        {
            _fragmentBytes -= f.Buffer.Length;
            ReturnFragment(f.Buffer);
        }
    }

    private byte[] RentFragment(int length)
    {
        if (length <= _mtu && _fragmentPool.TryPop(out byte[]? b))
        {
            return b;
        }

        return length <= _mtu ? new byte[_mtu] : ArrayPool<byte>.Shared.Rent(length);
    }

    private void ReturnFragment(byte[] buffer)
    {
        if (buffer.Length == _mtu)
        {
            if (_fragmentPool.Count < 4096)
            {
                _fragmentPool.Push(buffer);
            }
        }
        else
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private void AfterDataReceived(TimeSpan now)
    {
        _dataPacketsSinceSack++;
        if (_gapOrDuplicate || _dataPacketsSinceSack >= _options.AckEveryPackets || State != SctpState.Established)
        {
            _sackNeeded = true;
        }
        else if (_sackAt == Never)
        {
            _sackAt = now + _options.DelayedAck;
        }

        CheckDeferredPeerReset(now);
    }

    private void WriteSack(ref SctpPacketWriter w)
    {
        // Gap blocks (RFC 9260 §3.3.4), offsets from the cumulative TSN; as many as fit.
        int maxBlocks = Math.Max(0, (w.Remaining - 16 - (4 * _duplicateCount)) / 4);
        maxBlocks = Math.Min(maxBlocks, 128);
        Span<uint> blocks = stackalloc uint[128];
        int blockCount = 0;
        if (_highestTsn != _cumTsn)
        {
            uint t = _cumTsn + 1;
            while (BeforeOrEqual(t, _highestTsn) && blockCount < maxBlocks)
            {
                while (BeforeOrEqual(t, _highestTsn) && !_receivedAhead[t & (TsnHorizon - 1)])
                {
                    t++;
                }

                if (Before(_highestTsn, t))
                {
                    break;
                }

                uint start = t;
                while (BeforeOrEqual(t, _highestTsn) && _receivedAhead[t & (TsnHorizon - 1)])
                {
                    t++;
                }

                blocks[blockCount++] = ((start - _cumTsn) << 16) | ((t - 1 - _cumTsn) & 0xFFFF);
            }
        }

        if (!w.TryBeginChunk(SctpChunkType.Sack, 0, 12 + (4 * blockCount) + (4 * _duplicateCount), out Span<byte> v))
        {
            return;
        }

        BinaryPrimitives.WriteUInt32BigEndian(v, _cumTsn);
        BinaryPrimitives.WriteUInt32BigEndian(v[4..], (uint)AdvertisedWindow);
        BinaryPrimitives.WriteUInt16BigEndian(v[8..], (ushort)blockCount);
        BinaryPrimitives.WriteUInt16BigEndian(v[10..], (ushort)_duplicateCount);
        for (int i = 0; i < blockCount; i++)
        {
            BinaryPrimitives.WriteUInt32BigEndian(v[(12 + (4 * i))..], blocks[i]);
        }

        for (int i = 0; i < _duplicateCount; i++)
        {
            BinaryPrimitives.WriteUInt32BigEndian(v[(12 + (4 * blockCount) + (4 * i))..], _duplicates[i]);
        }

        Statistics.SacksSent++;
        _duplicateCount = 0;
        _sackNeeded = false;
        _ackPending = false;
        _gapOrDuplicate = false;
        _dataPacketsSinceSack = 0;
        _sackAt = Never;
    }

    /// <summary>RFC 3758 §3.6: move the cumulative TSN, drop what it skips, and release ordered streams.</summary>
    private void HandleForwardTsn(ReadOnlySpan<byte> v, TimeSpan now)
    {
        uint newCum = BinaryPrimitives.ReadUInt32BigEndian(v);
        _ackPending = true;
        _gapOrDuplicate = true;
        if (!Before(_cumTsn, newCum))
        {
            return;
        }

        if (!Before(newCum, _cumTsn + TsnHorizon))
        {
            return; // not a window we ever offered; ignore rather than clear state blindly
        }

        for (uint t = _cumTsn + 1; BeforeOrEqual(t, newCum); t++)
        {
            _receivedAhead[t & (TsnHorizon - 1)] = false;
        }

        _scratchTsns.Clear();
        foreach (uint tsn in _fragments.Keys)
        {
            if (BeforeOrEqual(tsn, newCum))
            {
                _scratchTsns.Add(tsn);
            }
        }

        foreach (uint tsn in _scratchTsns)
        {
            RemoveFragment(tsn);
        }

        if (Before(_highestTsn, newCum))
        {
            _highestTsn = newCum;
        }

        _cumTsn = newCum - 1;
        MarkReceived(newCum);

        for (int i = 4; i + 4 <= v.Length; i += 4)
        {
            ushort stream = BinaryPrimitives.ReadUInt16BigEndian(v[i..]);
            ushort ssn = BinaryPrimitives.ReadUInt16BigEndian(v[(i + 2)..]);
            InStream s = GetInStream(stream);
            if ((short)(ushort)(ssn - s.NextSsn) >= 0)
            {
                s.NextSsn = (ushort)(ssn + 1);
            }

            s.Complete.RemoveAll(m => (short)(ushort)(m.Ssn - s.NextSsn) < 0);
            DeliverCompleteInOrder(s, stream);
        }

        // Complete messages whose fragments were skipped are gone too.
        foreach (InStream s in _inStreams.Values)
        {
            s.Complete.RemoveAll(m => !_fragments.ContainsKey(m.First));
        }

        _ = now;
    }

    private void ReleaseReceiveBuffers()
    {
        foreach (InFragment f in _fragments.Values)
        {
            ReturnFragment(f.Buffer);
        }

        _fragments.Clear();
        _fragmentBytes = 0;
    }
}
