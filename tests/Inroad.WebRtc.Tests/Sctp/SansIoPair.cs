using Inroad.WebRtc.Sctp;

namespace Inroad.WebRtc.Tests.Sctp;

/// <summary>Two associations wired by hand on a manual clock: every packet passes through a filter.</summary>
internal sealed class SansIoPair
{
    private readonly byte[] _buffer = new byte[65536];

    public SansIoPair(SctpOptions? a = null, SctpOptions? b = null)
    {
        A = new SctpAssociation(a ?? new SctpOptions(), HandlerA);
        B = new SctpAssociation(b ?? new SctpOptions(), HandlerB);
    }

    public RecordingHandler HandlerA { get; } = new();

    public RecordingHandler HandlerB { get; } = new();

    public SctpAssociation A { get; }

    public SctpAssociation B { get; }

    public TimeSpan Now { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Return false to drop a packet; may modify it. Arguments: from A?, packet.</summary>
    public Func<bool, byte[], bool>? Filter { get; set; }

    public List<(bool FromA, byte[] Packet)> Log { get; } = [];

    /// <summary>Moves packets both ways until neither side has anything to send. Returns packets moved.</summary>
    public int Pump(int limit = 100_000)
    {
        int moved = 0;
        bool any = true;
        while (any && moved < limit)
        {
            any = false;
            if (A.TryWritePacket(_buffer, Now, out int n))
            {
                any = true;
                moved++;
                Deliver(true, _buffer.AsSpan(0, n).ToArray());
            }

            if (B.TryWritePacket(_buffer, Now, out n))
            {
                any = true;
                moved++;
                Deliver(false, _buffer.AsSpan(0, n).ToArray());
            }
        }

        return moved;
    }

    /// <summary>Like <see cref="Pump"/>, but each side sends everything it can before the other answers (window-limited bursts).</summary>
    public void PumpBursts()
    {
        bool any = true;
        while (any)
        {
            any = false;
            while (A.TryWritePacket(_buffer, Now, out int n))
            {
                any = true;
                Deliver(true, _buffer.AsSpan(0, n).ToArray());
            }

            while (B.TryWritePacket(_buffer, Now, out int n))
            {
                any = true;
                Deliver(false, _buffer.AsSpan(0, n).ToArray());
            }
        }
    }

    /// <summary>Advances the clock to the next deadline of either side (capped) and runs timers, then pumps.</summary>
    public void Step(TimeSpan max)
    {
        TimeSpan next = A.NextDeadline < B.NextDeadline ? A.NextDeadline : B.NextDeadline;
        Now = next == TimeSpan.MaxValue || next - Now > max ? Now + max : (next > Now ? next : Now);
        A.HandleTimeout(Now);
        B.HandleTimeout(Now);
        Pump();
    }

    public void RunFor(TimeSpan duration)
    {
        TimeSpan end = Now + duration;
        while (Now < end)
        {
            Step(end - Now);
        }
    }

    public void Connect(bool both = true)
    {
        A.Connect(Now);
        if (both)
        {
            B.Connect(Now);
        }

        Pump();
    }

    private void Deliver(bool fromA, byte[] packet)
    {
        Log.Add((fromA, packet));
        if (Filter is { } f && !f(fromA, packet))
        {
            return;
        }

        (fromA ? B : A).HandlePacket(packet, Now);
    }

    public static bool HasChunk(byte[] packet, SctpChunkType type)
    {
        var reader = new SctpChunkReader(packet.AsSpan(SctpPacket.CommonHeaderLength));
        while (reader.TryRead(out SctpChunk c))
        {
            if (c.Type == (byte)type)
            {
                return true;
            }
        }

        return false;
    }
}
