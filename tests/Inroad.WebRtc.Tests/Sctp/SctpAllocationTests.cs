using Inroad.Testing;
using Inroad.WebRtc.Sctp;

namespace Inroad.WebRtc.Tests.Sctp;

/// <summary>The DATA/SACK hot path allocates nothing once warm (style.md §8).</summary>
public sealed class SctpAllocationTests
{
    [Theory]
    [InlineData(1000)]  // one chunk per message, delivered straight from the packet
    [InlineData(3000)]  // three fragments, reassembled
    public void Data_out_and_in_and_sack_do_not_allocate(int messageSize)
    {
        var pair = new SansIoPair();
        pair.HandlerB.KeepMessages = false;
        pair.Connect();
        byte[] message = new byte[messageSize];
        byte[] packet = new byte[1200];
        TimeSpan now = pair.Now;
        SctpAssociation a = pair.A;
        SctpAssociation b = pair.B;

        void Iteration()
        {
            a.Send(1, 53, message, default, now);
            while (a.TryWritePacket(packet, now, out int n))
            {
                b.HandlePacket(packet.AsSpan(0, n), now);
            }

            b.HandleTimeout(now + TimeSpan.FromSeconds(1)); // flush the delayed SACK, if any
            while (b.TryWritePacket(packet, now, out int n))
            {
                a.HandlePacket(packet.AsSpan(0, n), now);
            }
        }

        for (int i = 0; i < 200; i++)
        {
            Iteration(); // warm pools and dictionaries
        }

        // Any object allocated per message costs at least 24 bytes; the bound sits below that, while the many
        // iterations dilute the rare refill of a pooled buffer after the shared ArrayPool trims under GC pressure.
        double bytes = AllocationGuard.BytesPerIteration(Iteration, 10_000);
        Assert.True(bytes < 16, $"{bytes} bytes per message");
        Assert.Equal(10_201L * messageSize, pair.HandlerB.BytesReceived);
    }
}
