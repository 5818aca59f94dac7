using System.Buffers.Binary;
using Inroad.WebRtc.Sctp;

namespace Inroad.WebRtc.Tests.Sctp;

/// <summary>
/// Loss recovery on a path with real delay (<see cref="DelayedPath"/>, manual clock): on a 20 ms round trip a
/// sender receives dozens of SACKs reporting a hole before its retransmission can have arrived. Those reports must
/// not trigger the same retransmission again (found in the lab: 2,870 fast retransmits for ~1,100 lost packets,
/// 11 % of the receiver's DATA duplicates); a retransmission that is itself lost must still be recovered without
/// waiting for T3.
/// </summary>
public sealed class SctpRecoveryTests(ITestOutputHelper output)
{
    private static readonly TimeSpan OneWay = TimeSpan.FromMilliseconds(10);

    [Fact]
    public void One_lost_packet_on_a_20ms_path_is_retransmitted_once_however_many_sacks_report_it()
    {
        var pair = new SansIoPair();
        pair.HandlerB.KeepMessages = false;
        pair.Connect();
        var path = new DelayedPath(pair, OneWay);
        Transfer(pair, path, 0, 300);
        int dataPackets = 0;
        path.Drop = (fromA, p) => fromA && SansIoPair.HasChunk(p, SctpChunkType.Data) && ++dataPackets == 20;
        Transfer(pair, path, 300, 300);

        Assert.Equal(1, path.DataPacketsDroppedFromA);
        Assert.Equal(1, pair.A.Statistics.FastRetransmits);
        Assert.Equal(1, pair.A.Statistics.Retransmissions);
        Assert.Equal(0, pair.A.Statistics.T3Expirations);
        Assert.Equal(0, pair.B.Statistics.DuplicateChunksReceived);
    }

    [Fact]
    public void A_lost_retransmission_is_fast_retransmitted_again_once_later_data_is_acknowledged()
    {
        var pair = new SansIoPair();
        pair.HandlerB.KeepMessages = false;
        pair.Connect();
        var path = new DelayedPath(pair, OneWay);
        Transfer(pair, path, 0, 300);
        int dataPackets = 0, copies = 0;
        uint? lost = null;
        path.Drop = (fromA, p) =>
        {
            if (!fromA || FirstTsn(p) is not { } tsn)
            {
                return false;
            }

            if (++dataPackets == 20)
            {
                lost = tsn;
            }

            return tsn == lost && ++copies <= 2; // the original and the first retransmission
        };
        Transfer(pair, path, 300, 300);

        Assert.Equal(2, path.DataPacketsDroppedFromA);
        Assert.Equal(3, copies);
        Assert.Equal(2, pair.A.Statistics.FastRetransmits);
        Assert.Equal(2, pair.A.Statistics.Retransmissions);
        Assert.Equal(0, pair.A.Statistics.T3Expirations);
        Assert.Equal(0, pair.B.Statistics.DuplicateChunksReceived);
    }

    [Fact]
    public void A_lone_packet_whose_sack_is_delayed_200ms_is_not_retransmitted_by_t3()
    {
        var pair = new SansIoPair();
        pair.HandlerB.KeepMessages = false;
        pair.Connect();
        var path = new DelayedPath(pair, OneWay);
        Transfer(pair, path, 0, 300);
        long retransmissions = pair.A.Statistics.Retransmissions;
        for (int i = 0; i < 5; i++)
        {
            // One packet: the receiver acknowledges it only when its delayed-SACK timer (200 ms) fires.
            Transfer(pair, path, 300 + i, 1);
            Assert.True(path.RunUntil(() => pair.A.QueuedBytes == 0, TimeSpan.FromSeconds(5)));
            output.WriteLine($"lone packet {i}: srtt {pair.A.SmoothedRtt.TotalMilliseconds:F0} ms, T3 expirations {pair.A.Statistics.T3Expirations}");
        }

        Assert.Equal(0, pair.A.Statistics.T3Expirations);
        Assert.Equal(retransmissions, pair.A.Statistics.Retransmissions);
        Assert.Equal(0, pair.B.Statistics.DuplicateChunksReceived);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Over_1_percent_loss_each_way_every_retransmission_answers_a_loss(int seed)
    {
        var pair = new SansIoPair();
        pair.HandlerB.KeepMessages = false;
        pair.Connect();
        var path = new DelayedPath(pair, OneWay, loss: 0.01, seed: seed);
        TimeSpan start = pair.Now;
        Transfer(pair, path, 0, 3000); // ~3.3 MB in 1100-byte messages
        output.WriteLine($"3.3 MB in {(pair.Now - start).TotalSeconds:F2} simulated s; DATA packets lost {path.DataPacketsDroppedFromA} (queue {path.QueueDrops}); " +
            $"retransmitted {pair.A.Statistics.Retransmissions} (fast {pair.A.Statistics.FastRetransmits}, T3 {pair.A.Statistics.T3Expirations}); duplicates {pair.B.Statistics.DuplicateChunksReceived}");

        // A retransmission that was not needed arrives as a duplicate; a few may come from T3 (a lost
        // retransmission late in a window, or a lost last packet), none from repeated fast retransmits.
        Assert.True(path.DataPacketsDroppedFromA > 10, $"only {path.DataPacketsDroppedFromA} lost");
        Assert.InRange(pair.A.Statistics.Retransmissions, path.DataPacketsDroppedFromA, (path.DataPacketsDroppedFromA * 5 / 4) + 10);
        Assert.InRange(pair.B.Statistics.DuplicateChunksReceived, 0, (path.DataPacketsDroppedFromA / 4) + 10);
    }

    private static void Transfer(SansIoPair pair, DelayedPath path, int first, int count)
    {
        long target = pair.HandlerB.BytesReceived + (1100L * count);
        int queued = 0;
        bool done = path.RunUntil(
            () =>
            {
                // Keep about 400 KB queued, like a stream writer blocked on bufferedAmount.
                while (queued < count && pair.A.QueuedBytes < 400_000)
                {
                    pair.A.Send(1, 53, Message(first + queued++), default, pair.Now);
                }

                return pair.HandlerB.BytesReceived >= target;
            },
            TimeSpan.FromMinutes(5));
        Assert.True(done, $"B got {pair.HandlerB.BytesReceived} of {target} bytes in 5 simulated minutes");
    }

    private static byte[] Message(int index)
    {
        byte[] m = new byte[1100];
        BinaryPrimitives.WriteInt32BigEndian(m, index);
        return m;
    }

    private static uint? FirstTsn(byte[] packet)
    {
        var reader = new SctpChunkReader(packet.AsSpan(SctpPacket.CommonHeaderLength));
        while (reader.TryRead(out SctpChunk c))
        {
            if (c.Type == (byte)SctpChunkType.Data)
            {
                return BinaryPrimitives.ReadUInt32BigEndian(c.Value);
            }
        }

        return null;
    }
}
