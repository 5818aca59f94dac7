using Inroad.Sessions.Keys;
using Inroad.Sessions.Obfuscation;
using Inroad.Sessions.Records;

namespace Inroad.Sessions.Tests.Sessions;

/// <summary>
/// Throws random, mutated and "insider" packets (valid obfuscation, forged contents: what a relaying client that
/// knows the obfuscation secret can send) at a responder. Nothing may escape as an exception, no established
/// session may die, the handler may never run, and the responder's state must stay bounded. Runs alone: its
/// memory bound reads the whole process's heap, which tests running beside it would grow.
/// </summary>
[Collection(nameof(FuzzTests))]
public sealed class FuzzTests
{
    [Fact]
    public async Task Responder_survives_random_mutated_and_insider_packets()
    {
        using var f = new SessionFixture(configure: o => o.MaxConcurrentHandshakes = 256);
        CancellationToken ct = TestContext.Current.CancellationToken;
        var rng = new Random(20261126);

        // Three live sessions, and a record of every packet they exchanged.
        var recorder = new RecordingRoundTripper(f.RoundTripper);
        var initiators = Enumerable.Range(0, 3).Select(_ => f.NewInitiator()).ToArray();
        foreach (InitiatorSessions i in initiators)
        {
            for (int n = 0; n < 3; n++)
            {
                await i.RoundTripAsync(recorder, f.Identity, "R-warmup"u8.ToArray(), TimeSpan.Zero, TimeSpan.FromSeconds(5), ct);
            }
        }

        int calls = f.HandlerCalls;
        byte[][] captured = [.. recorder.Sent];
        Id32[] liveIds = captured.Select(p => SessionIdOf(f, p)).Distinct().ToArray();
        using var insider = new PacketObfuscator(f.Secret, f.Time, null, TimeSpan.Zero);
        GC.Collect();
        long memoryBefore = GC.GetTotalMemory(forceFullCollection: true);
        var kinds = new Dictionary<ResponderResultKind, int>();

        for (int iteration = 0; iteration < 20_000; iteration++)
        {
            byte[] packet = (iteration % 4) switch
            {
                0 => RandomBytes(rng, rng.Next(0, 600)),
                1 => Mutate(rng, captured[rng.Next(captured.Length)]),
                2 => insider.Obfuscate(Mutate(rng, InnerRecord(f, captured[rng.Next(captured.Length)])), PacketDirection.InitiatorToResponder),
                _ => insider.Obfuscate(ForgedSessionPacket(rng, liveIds), PacketDirection.InitiatorToResponder),
            };
            ResponderResult result = await f.Responder.HandlePacketAsync(packet, f.Handler, ct);
            kinds[result.Kind] = kinds.GetValueOrDefault(result.Kind) + 1;
            Assert.True(f.Responder.PendingHandshakeCount <= 256);
        }

        TestContext.Current.SendDiagnosticMessage(string.Join(", ", kinds.Select(k => $"{k.Key}: {k.Value}")));
        Assert.Equal(calls, f.HandlerCalls);
        Assert.Equal(3, f.Responder.SessionCount);
        Assert.True(kinds.GetValueOrDefault(ResponderResultKind.Reply) > 0, "insider packets should draw resets or handshake replies");
        Assert.True(kinds.GetValueOrDefault(ResponderResultKind.Rejected) > 10_000);

        // Every session still works with one packet per round trip: none was reset or broken.
        var counting = new CountingRoundTripper(f.RoundTripper);
        foreach (InitiatorSessions i in initiators)
        {
            byte[] response = await i.RoundTripAsync(counting, f.Identity, "R-after"u8.ToArray(), TimeSpan.Zero, TimeSpan.FromSeconds(5), ct);
            Assert.Equal("re:R-after"u8.ToArray(), response);
            i.Dispose();
        }

        Assert.Equal(3, counting.Calls);
        long memoryAfter = GC.GetTotalMemory(forceFullCollection: true);
        Assert.True(memoryAfter - memoryBefore < 16 * 1024 * 1024, $"memory grew by {memoryAfter - memoryBefore} bytes");
    }

    [Fact]
    public void Parsers_never_throw_and_what_they_accept_reencodes_to_the_same_fields()
    {
        var rng = new Random(7);
        byte[] id = RandomBytes(rng, 32);
        byte[] valid = new byte[SessionPacket.EncodedLength(5, 40, 0)];
        new SessionPacket(new Id32(id), 5, RandomBytes(rng, 40), default).WriteRecord(valid);
        int accepted = 0;
        for (int i = 0; i < 100_000; i++)
        {
            byte[] input = i % 2 == 0 ? Mutate(rng, valid) : RandomBytes(rng, rng.Next(0, 80));
            if (SessionPacket.TryRead(input, out SessionPacket p))
            {
                accepted++;
                byte[] again = new byte[SessionPacket.EncodedLength(p.Nonce, p.Payload.Length, p.ResetToken.Length)];
                new SessionPacket(p.SessionId, p.Nonce, p.Payload, p.ResetToken).WriteRecord(again);
                Assert.True(SessionPacket.TryRead(again, out SessionPacket q));
                Assert.Equal((p.SessionId, p.Nonce), (q.SessionId, q.Nonce));
                Assert.True(p.Payload.SequenceEqual(q.Payload) && p.ResetToken.SequenceEqual(q.ResetToken));
            }

            SessionRoundTrip.TryRead(input, out _);
            RecordFraming.TryRead(input, out _, out ReadOnlySpan<byte> _);
            CborRecords.TryUnmarshal(input, out ProbeRecord? _);
        }

        Assert.InRange(accepted, 1, 100_000);
    }

    private static Id32 SessionIdOf(SessionFixture f, byte[] obfuscated) =>
        SessionPacket.TryRead(InnerRecord(f, obfuscated), out SessionPacket p) ? p.SessionId : default;

    /// <summary>Opens a captured initiator packet with the secret (as an insider can) to get its record.</summary>
    private static byte[] InnerRecord(SessionFixture f, byte[] obfuscated)
    {
        using var o = new PacketObfuscator(f.Secret, f.Time, null, TimeSpan.FromMinutes(5));
        byte[] buffer = new byte[obfuscated.Length];
        return o.TryDeobfuscate(obfuscated, PacketDirection.InitiatorToResponder, buffer, out Range r) ? buffer[r] : [];
    }

    private static byte[] ForgedSessionPacket(Random rng, Id32[] liveIds)
    {
        Id32 id = rng.Next(2) == 0 ? liveIds[rng.Next(liveIds.Length)] : new Id32(RandomBytes(rng, 32));
        ulong nonce = rng.Next(3) switch { 0 => 0, 1 => (ulong)rng.Next(0, 20), _ => (ulong)rng.NextInt64() };
        byte[] payload = RandomBytes(rng, rng.Next(0, 120));
        byte[] token = rng.Next(10) == 0 ? RandomBytes(rng, 96) : [];
        byte[] record = new byte[SessionPacket.EncodedLength(nonce, payload.Length, token.Length)];
        new SessionPacket(id, nonce, payload, token).WriteRecord(record);
        return record;
    }

    private static byte[] RandomBytes(Random rng, int length)
    {
        byte[] b = new byte[length];
        rng.NextBytes(b);
        return b;
    }

    private static byte[] Mutate(Random rng, byte[] input)
    {
        byte[] b = (byte[])input.Clone();
        switch (rng.Next(4))
        {
            case 0:
                if (b.Length > 0)
                {
                    for (int i = rng.Next(1, 4); i > 0; i--)
                    {
                        b[rng.Next(b.Length)] ^= (byte)(1 << rng.Next(8));
                    }
                }

                return b;
            case 1:
                return b[..rng.Next(b.Length + 1)];
            case 2:
                return [.. b, .. RandomBytes(rng, rng.Next(1, 8))];
            default:
                if (b.Length > 0)
                {
                    b[rng.Next(b.Length)] = (byte)rng.Next(256);
                }

                return b;
        }
    }

    /// <summary>Any record type; used only to push bytes through <see cref="CborRecords"/>.</summary>
    private sealed class ProbeRecord : ICborRecord<ProbeRecord>
    {
        public static RecordType RecordType => RecordType.SessionPacket;

        public static bool TryReadCbor(System.Formats.Cbor.CborReader reader, out ProbeRecord? value)
        {
            reader.SkipValue();
            value = new ProbeRecord();
            return true;
        }

        public void WriteCbor(System.Formats.Cbor.CborWriter writer) => writer.WriteNull();
    }
}

/// <summary>Keeps a copy of every packet sent.</summary>
internal sealed class RecordingRoundTripper(IRoundTripper inner) : IRoundTripper
{
    public List<byte[]> Sent { get; } = [];

    public ValueTask<ReadOnlyMemory<byte>> RoundTripAsync(ReadOnlyMemory<byte> packet, TimeSpan delay, TimeSpan timeout, CancellationToken cancellationToken)
    {
        lock (Sent)
        {
            Sent.Add(packet.ToArray());
        }

        return inner.RoundTripAsync(packet, delay, timeout, cancellationToken);
    }
}

/// <summary>Keeps <see cref="FuzzTests"/> out of parallel runs.</summary>
[CollectionDefinition(nameof(FuzzTests), DisableParallelization = true)]
public sealed class FuzzTestsCollection;
