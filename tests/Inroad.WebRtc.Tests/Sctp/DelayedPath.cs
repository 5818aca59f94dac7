using Inroad.WebRtc.Sctp;

namespace Inroad.WebRtc.Tests.Sctp;

/// <summary>
/// Drives a <see cref="SansIoPair"/> as a discrete-event simulation on its manual clock: each direction is a
/// bottleneck of <c>bytesPerSecond</c> with a drop-tail queue of <c>queuePackets</c> full-size packets, then a fixed
/// one-way delay, so packets arrive spaced out and the receiver acknowledges every second one, with many SACKs in
/// flight at once, as on a real path. Packets may also be dropped by a seeded random loss or by <see cref="Drop"/>;
/// timers fire at their deadlines. Deterministic: the same seed gives the same run.
/// </summary>
internal sealed class DelayedPath
{
    private readonly SansIoPair _pair;
    private readonly TimeSpan _delay;
    private readonly double _loss;
    private readonly Random _random;
    private readonly double _bytesPerSecond;
    private readonly int _queuePackets;
    private TimeSpan _freeToB, _freeToA;
    private readonly PriorityQueue<(TimeSpan Due, bool ToB, byte[] Packet), (TimeSpan, long)> _inFlight = new();
    private long _order;
    private readonly byte[] _buffer = new byte[65536];

    public DelayedPath(SansIoPair pair, TimeSpan oneWayDelay, double loss = 0, int seed = 1, double bytesPerSecond = 4e6, int queuePackets = 200)
    {
        _pair = pair;
        _bytesPerSecond = bytesPerSecond;
        _queuePackets = queuePackets;
        _delay = oneWayDelay;
        _loss = loss;
        _random = new Random(seed);
    }

    /// <summary>Return true to drop a packet: from A?, packet. Checked before the random loss.</summary>
    public Func<bool, byte[], bool>? Drop { get; set; }

    /// <summary>Packets carrying DATA from A that the path dropped (by <see cref="Drop"/>, the random loss or a full queue).</summary>
    public int DataPacketsDroppedFromA { get; private set; }

    /// <summary>Packets dropped because the bottleneck queue was full (both directions).</summary>
    public int QueueDrops { get; private set; }

    /// <summary>Runs until <paramref name="done"/> holds or <paramref name="limit"/> of simulated time passed; false on the limit.</summary>
    public bool RunUntil(Func<bool> done, TimeSpan limit)
    {
        TimeSpan end = _pair.Now + limit;
        while (!done())
        {
            Send(true);
            Send(false);
            TimeSpan next = Min(_pair.A.NextDeadline, _pair.B.NextDeadline);
            if (_inFlight.TryPeek(out var head, out _))
            {
                next = Min(next, head.Due);
            }

            if (next > end)
            {
                return false;
            }

            _pair.Now = next > _pair.Now ? next : _pair.Now;
            // One arrival at a time: the receiver answers (SACKs) before the next packet is in.
            if (_inFlight.TryPeek(out head, out _) && head.Due <= _pair.Now)
            {
                _inFlight.Dequeue();
                (head.ToB ? _pair.B : _pair.A).HandlePacket(head.Packet, _pair.Now);
            }

            if (_pair.A.NextDeadline <= _pair.Now)
            {
                _pair.A.HandleTimeout(_pair.Now);
            }

            if (_pair.B.NextDeadline <= _pair.Now)
            {
                _pair.B.HandleTimeout(_pair.Now);
            }
        }

        return true;
    }

    private void Send(bool fromA)
    {
        SctpAssociation from = fromA ? _pair.A : _pair.B;
        while (from.TryWritePacket(_buffer, _pair.Now, out int n))
        {
            byte[] packet = _buffer.AsSpan(0, n).ToArray();
            if ((Drop?.Invoke(fromA, packet) ?? false) || _random.NextDouble() < _loss)
            {
                if (fromA && SansIoPair.HasChunk(packet, SctpChunkType.Data))
                {
                    DataPacketsDroppedFromA++;
                }

                continue;
            }

            ref TimeSpan free = ref fromA ? ref _freeToB : ref _freeToA;
            TimeSpan start = free > _pair.Now ? free : _pair.Now;
            TimeSpan serialization = TimeSpan.FromSeconds(packet.Length / _bytesPerSecond);
            if (start - _pair.Now > TimeSpan.FromSeconds(_queuePackets * 1200 / _bytesPerSecond))
            {
                QueueDrops++;
                if (fromA && SansIoPair.HasChunk(packet, SctpChunkType.Data))
                {
                    DataPacketsDroppedFromA++;
                }

                continue;
            }

            free = start + serialization;
            InsertByDue((free + _delay, fromA, packet));
        }
    }

    private void InsertByDue((TimeSpan Due, bool ToB, byte[] Packet) item) => _inFlight.Enqueue(item, (item.Due, _order++));

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
}
