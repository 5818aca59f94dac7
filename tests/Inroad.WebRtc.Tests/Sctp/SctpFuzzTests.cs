using System.Buffers.Binary;
using Inroad.WebRtc.Sctp;

namespace Inroad.WebRtc.Tests.Sctp;

/// <summary>
/// Random and mutated packets into live associations: nothing may throw, memory stays within the
/// receive window, and what the association answers is always a well-formed packet.
/// </summary>
public sealed class SctpFuzzTests
{
    [Theory]
    [InlineData(1, true)]
    [InlineData(2, false)]
    [InlineData(3, true)]
    public void Mutated_and_random_packets_never_throw_and_memory_stays_bounded(int seed, bool fixChecksum)
    {
        var random = new Random(seed);
        byte[] output = new byte[1200];
        int answered = 0;
        for (int round = 0; round < 10; round++)
        {
            var options = new SctpOptions { ReceiveWindow = 64 * 1024 };
            var pair = new SansIoPair(options, options);
            pair.HandlerB.Release = random.Next(2) == 0;
            pair.HandlerB.KeepMessages = false;
            pair.Connect(both: random.Next(2) == 0);
            for (int i = 0; i < 20; i++)
            {
                pair.A.Send((ushort)random.Next(0, 4), 53, new byte[random.Next(1, 5000)], new SctpSendOptions { Unordered = random.Next(3) == 0, MaxRetransmits = random.Next(3) == 0 ? 0 : null }, pair.Now);
            }

            pair.A.ResetStreams([1], pair.Now);
            pair.Pump();
            List<byte[]> corpus = [.. pair.Log.Select(l => l.Packet)];

            for (int i = 0; i < 2500; i++)
            {
                byte[] packet = Mutate(random, corpus[random.Next(corpus.Count)]);
                if (fixChecksum && packet.Length >= 12 && random.Next(10) != 0)
                {
                    SctpCrc32c.Seal(packet);
                }

                SctpAssociation target = random.Next(2) == 0 ? pair.A : pair.B;
                target.HandlePacket(packet, pair.Now);
                if (random.Next(50) == 0)
                {
                    pair.Now += TimeSpan.FromMilliseconds(random.Next(0, 3000));
                    target.HandleTimeout(pair.Now);
                }

                while (target.TryWritePacket(output, pair.Now, out int n))
                {
                    answered++;
                    Assert.InRange(n, 12, 1200);
                    Assert.True(SctpPacket.IsWellFormed(output.AsSpan(0, n)));
                }

                Assert.InRange(target.ReceiveHeldBytes, 0, 2 * options.ReceiveWindow);
                Assert.InRange(target.ControlQueueLength, 0, 64);
            }
        }

        Assert.True(answered > 0);
    }

    [Fact]
    public void Random_bytes_are_dropped_without_answers()
    {
        var random = new Random(9);
        var pair = new SansIoPair();
        pair.Connect();
        byte[] output = new byte[1200];
        for (int i = 0; i < 20_000; i++)
        {
            byte[] packet = new byte[random.Next(0, 1300)];
            random.NextBytes(packet);
            pair.B.HandlePacket(packet, pair.Now);
        }

        Assert.False(pair.B.TryWritePacket(output, pair.Now, out _));
        Assert.Equal(SctpState.Established, pair.B.State);
        Assert.True(pair.B.Statistics.PacketsDropped >= 20_000);
    }

    private static byte[] Mutate(Random random, byte[] original)
    {
        byte[] p = (byte[])original.Clone();
        switch (random.Next(8))
        {
            case 0: // flip bytes anywhere
                for (int k = random.Next(1, 4); k > 0; k--)
                {
                    p[random.Next(p.Length)] ^= (byte)random.Next(1, 256);
                }

                return p;
            case 1: // truncate
                return p[..random.Next(0, p.Length + 1)];
            case 2: // append garbage
                byte[] longer = new byte[p.Length + random.Next(1, 200)];
                p.CopyTo(longer, 0);
                random.NextBytes(longer.AsSpan(p.Length));
                return longer;
            case 3: // change a chunk length
                if (p.Length >= 16)
                {
                    BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(14), (ushort)random.Next(0, 2000));
                }

                return p;
            case 4: // change the first chunk type
                if (p.Length >= 13)
                {
                    p[12] = (byte)random.Next(0, 256);
                }

                return p;
            case 5: // change TSN / cumulative TSN fields
                if (p.Length >= 20)
                {
                    BinaryPrimitives.WriteUInt32BigEndian(p.AsSpan(16), BinaryPrimitives.ReadUInt32BigEndian(p.AsSpan(16)) + (uint)random.Next(-40000, 40000));
                }

                return p;
            case 6: // change flags
                if (p.Length >= 14)
                {
                    p[13] = (byte)random.Next(0, 256);
                }

                return p;
            default: // replay unchanged (duplicates, old packets)
                return p;
        }
    }
}
