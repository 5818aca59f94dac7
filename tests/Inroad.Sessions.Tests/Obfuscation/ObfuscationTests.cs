using Inroad.Sessions.Obfuscation;
using Inroad.Testing;
using Microsoft.Extensions.Time.Testing;

namespace Inroad.Sessions.Tests.Obfuscation;

public sealed class ObfuscationTests
{
    private static readonly byte[] Record = "\u0001\u0002\u0003 a session packet record"u8.ToArray();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 26, 12, 0, 0, TimeSpan.Zero));
    private readonly ObfuscationSecret _secret = ObfuscationSecret.FromBytes(Enumerable.Range(0, 32).Select(i => (byte)i).ToArray());

    private PacketObfuscator Responder(ObfuscationSecret? secret = null) =>
        new(secret ?? _secret, _time, new ReplayHistory(100_000, 0.001, TimeSpan.FromMinutes(10), _time), TimeSpan.FromMinutes(5));

    private PacketObfuscator Initiator(ObfuscationSecret? secret = null) => new(secret ?? _secret, _time, null, TimeSpan.Zero);

    private static byte[]? Open(PacketObfuscator o, byte[] packet, PacketDirection d)
    {
        byte[] buffer = new byte[packet.Length];
        return o.TryDeobfuscate(packet, d, buffer, out Range r) ? buffer[r] : null;
    }

    [Fact]
    public void Round_trips_both_directions()
    {
        using PacketObfuscator initiator = Initiator(), responder = Responder();
        Assert.Equal(Record, Open(responder, initiator.Obfuscate(Record, PacketDirection.InitiatorToResponder), PacketDirection.InitiatorToResponder));
        Assert.Equal(Record, Open(initiator, responder.Obfuscate(Record, PacketDirection.ResponderToInitiator), PacketDirection.ResponderToInitiator));
        Assert.Equal(0, Open(initiator, responder.Obfuscate([], PacketDirection.ResponderToInitiator, 0), PacketDirection.ResponderToInitiator)?.Length);
    }

    [Fact]
    public void Tampering_any_byte_or_truncating_is_rejected()
    {
        using PacketObfuscator initiator = Initiator(), responder = Responder();
        byte[] packet = initiator.Obfuscate(Record, PacketDirection.InitiatorToResponder, 7);
        for (int i = 0; i < packet.Length; i++)
        {
            foreach (byte flip in new byte[] { 0x01, 0x80 })
            {
                byte[] t = (byte[])packet.Clone();
                t[i] ^= flip;
                Assert.Null(Open(responder, t, PacketDirection.InitiatorToResponder));
            }
        }

        for (int length = 0; length < packet.Length; length++)
        {
            Assert.Null(Open(responder, packet[..length], PacketDirection.InitiatorToResponder));
        }

        Assert.Null(Open(responder, [.. packet, 0], PacketDirection.InitiatorToResponder));

        // The genuine packet still opens: failed attempts recorded nothing.
        Assert.NotNull(Open(responder, packet, PacketDirection.InitiatorToResponder));
    }

    [Fact]
    public void Replay_is_rejected_within_and_across_rotation_periods()
    {
        using PacketObfuscator initiator = Initiator(), responder = Responder();
        byte[] packet = initiator.Obfuscate(Record, PacketDirection.InitiatorToResponder);
        Assert.NotNull(Open(responder, packet, PacketDirection.InitiatorToResponder));
        Assert.Null(Open(responder, packet, PacketDirection.InitiatorToResponder));

        // Past one rotation (the nonce moved to the previous filter), still within the timestamp window.
        _time.Advance(TimeSpan.FromMinutes(4));
        byte[] second = initiator.Obfuscate(Record, PacketDirection.InitiatorToResponder);
        _time.Advance(TimeSpan.FromMinutes(1));
        Assert.NotNull(Open(responder, second, PacketDirection.InitiatorToResponder));
        _time.Advance(TimeSpan.FromMinutes(5) + TimeSpan.FromSeconds(1));
        Assert.Null(Open(responder, second, PacketDirection.InitiatorToResponder));

        // Long after: the filters forgot, the timestamp check rejects.
        _time.Advance(TimeSpan.FromMinutes(30));
        Assert.Null(Open(responder, packet, PacketDirection.InitiatorToResponder));
        Assert.Null(Open(responder, second, PacketDirection.InitiatorToResponder));
    }

    [Fact]
    public void Timestamps_outside_five_minutes_are_rejected()
    {
        using PacketObfuscator initiator = Initiator(), responder = Responder();
        foreach ((int minutes, bool accepted) in new[] { (6, false), (4, true), (-4, true), (-6, false) })
        {
            var skewed = new FakeTimeProvider(_time.GetUtcNow() + TimeSpan.FromMinutes(minutes));
            using var other = new PacketObfuscator(_secret, skewed, null, TimeSpan.Zero);
            byte[]? opened = Open(responder, other.Obfuscate(Record, PacketDirection.InitiatorToResponder), PacketDirection.InitiatorToResponder);
            Assert.True(accepted == opened is not null, $"clock {minutes} min off");
        }
    }

    [Fact]
    public void Wrong_secret_or_direction_is_rejected()
    {
        using PacketObfuscator initiator = Initiator(), responder = Responder(), stranger = Responder(ObfuscationSecret.Generate());
        byte[] packet = initiator.Obfuscate(Record, PacketDirection.InitiatorToResponder);
        Assert.Null(Open(stranger, packet, PacketDirection.InitiatorToResponder));
        Assert.Null(Open(responder, packet, PacketDirection.ResponderToInitiator));
        byte[] reply = responder.Obfuscate(Record, PacketDirection.ResponderToInitiator);
        Assert.Null(Open(responder, reply, PacketDirection.InitiatorToResponder));
        Assert.NotNull(Open(responder, packet, PacketDirection.InitiatorToResponder));
    }

    [Fact]
    public void Packets_of_the_same_plaintext_look_random_and_vary_in_size()
    {
        using PacketObfuscator initiator = Initiator();
        const int count = 10_000;
        byte[][] packets = Enumerable.Range(0, count).Select(_ => initiator.Obfuscate(Record, PacketDirection.InitiatorToResponder)).ToArray();
        int common = packets.Min(p => p.Length);
        int[] ones = new int[common * 8];
        foreach (byte[] p in packets)
        {
            for (int bit = 0; bit < ones.Length; bit++)
            {
                ones[bit] += (p[bit >> 3] >> (bit & 7)) & 1;
            }
        }

        Assert.All(ones, n => Assert.InRange(n, count / 3, 2 * count / 3));

        // Consecutive pairs differ in at least 90 % of the bytes they share.
        for (int i = 1; i < count; i++)
        {
            int shared = Math.Min(packets[i].Length, packets[i - 1].Length);
            int same = 0;
            for (int j = 0; j < shared; j++)
            {
                same += packets[i][j] == packets[i - 1][j] ? 1 : 0;
            }

            Assert.True(same <= shared / 10, $"packets {i - 1} and {i} share {same} of {shared} bytes");
        }

        Assert.True(packets.Select(p => p.Length).Distinct().Count() > 200, "padding must vary sizes");
        Assert.InRange(packets.Max(p => p.Length) - packets.Min(p => p.Length), 200, PacketObfuscator.MaxPadding + 2);
    }

    [Fact]
    public void Obfuscation_allocates_only_the_packet_and_deobfuscation_nothing()
    {
        using PacketObfuscator initiator = Initiator(), responder = Responder();
        int packetLength = initiator.Obfuscate(Record, PacketDirection.InitiatorToResponder, 5).Length;
        double obfuscate = AllocationGuard.BytesPerIteration(() => initiator.Obfuscate(Record, PacketDirection.InitiatorToResponder, 5));

        // One byte[]: a 24-byte object header (64-bit) plus the data, rounded up to 8.
        Assert.Equal((packetLength + 24 + 7) / 8 * 8, obfuscate);

        byte[] reply = responder.Obfuscate(Record, PacketDirection.ResponderToInitiator, 5);
        byte[] buffer = new byte[reply.Length];
        double deobfuscate = AllocationGuard.BytesPerIteration(() => initiator.TryDeobfuscate(reply, PacketDirection.ResponderToInitiator, buffer, out _));
        Assert.Equal(0, deobfuscate);
    }

    [Fact]
    public void Replay_history_has_no_false_negatives_and_rare_false_positives()
    {
        var history = new ReplayHistory(1_000_000, 0.001, TimeSpan.FromMinutes(10), _time);
        var rng = new Random(42);
        byte[][] inserted = Enumerable.Range(0, 10_000).Select(_ => { byte[] n = new byte[12]; rng.NextBytes(n); return n; }).ToArray();
        foreach (byte[] n in inserted)
        {
            Assert.True(history.TryAdd(n));
        }

        Assert.All(inserted, n => Assert.True(history.Contains(n)));
        Assert.All(inserted, n => Assert.False(history.TryAdd(n)));
        int falsePositives = 0;
        for (int i = 0; i < 10_000; i++)
        {
            byte[] n = new byte[12];
            rng.NextBytes(n);
            falsePositives += history.Contains(n) ? 1 : 0;
        }

        Assert.Equal(0, falsePositives);
    }

    [Fact]
    public void Default_filter_is_sized_for_ten_million_at_one_in_a_thousand()
    {
        var filter = new BloomFilter(10_000_000, 0.001);
        Assert.Equal(10, filter.Probes);

        // Classic sizing is ~18 MB; the cache-blocked layout needs ~10 % more for the same rate.
        Assert.InRange(filter.SizeInBytes, 18_000_000, 21_000_000);
        Assert.True(BloomFilter.BlockedFalsePositiveRate(10_000_000, filter.SizeInBytes * 8.0, filter.Probes) <= 0.001);

        // Empirically: fill a small filter to capacity and count false positives of fresh items.
        var small = new BloomFilter(100_000, 0.001);
        var rng = new Random(3);
        byte[] item = new byte[12];
        for (int i = 0; i < 100_000; i++)
        {
            rng.NextBytes(item);
            small.Add(item);
        }

        int hits = 0;
        for (int i = 0; i < 200_000; i++)
        {
            rng.NextBytes(item);
            hits += small.Contains(item) ? 1 : 0;
        }

        // Expect ~0.09 % (≈ 180); allow for chance and a different hash seed each run.
        Assert.InRange(hits, 0, 400);
    }
}
