using System.Buffers.Binary;
using System.Diagnostics;

namespace Inroad.Sessions.Tests.Sessions;

public sealed class ConcurrencyTests
{
    [Fact]
    public async Task Ten_thousand_initiators_times_one_hundred_round_trips_against_one_responder()
    {
        int initiators = int.Parse(Environment.GetEnvironmentVariable("INROAD_TEST_INITIATORS") ?? "10000", System.Globalization.CultureInfo.InvariantCulture);
        const int roundTrips = 100, inFlight = 5;

        // Default replay filters (10 M): with ~1 M nonces their false-positive rate is ~1e-12.
        using var f = new SessionFixture(configure: o => o.ReplayHistoryCapacity = 10_000_000);
        // The first batch yields (five requests race the handshake and wait to share it); later batches go
        // straight through, so the test's cost is the sessions' own, with 64 initiators running in parallel.
        var racing = new YieldingRoundTripper(f.Responder, f.Handler);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(TimeSpan.FromMinutes(10));
        int wrong = 0;
        var stopwatch = Stopwatch.StartNew();

        await Parallel.ForEachAsync(
            Enumerable.Range(0, initiators),
            new ParallelOptions { MaxDegreeOfParallelism = 64, CancellationToken = cts.Token },
            async (n, ct) =>
            {
                using InitiatorSessions initiator = f.NewInitiator();
                for (int batch = 0; batch < roundTrips / inFlight; batch++)
                {
                    await Task.WhenAll(Enumerable.Range(0, inFlight).Select(async i =>
                    {
                        byte[] request = new byte[13];
                        request[0] = (byte)'R';
                        BinaryPrimitives.WriteInt32LittleEndian(request.AsSpan(1), n);
                        BinaryPrimitives.WriteInt32LittleEndian(request.AsSpan(5), batch);
                        BinaryPrimitives.WriteInt32LittleEndian(request.AsSpan(9), i);
                        IRoundTripper transport = batch == 0 ? racing : f.RoundTripper;
                        byte[] response = await initiator.RoundTripAsync(transport, f.Identity, request, TimeSpan.Zero, TimeSpan.FromSeconds(30), ct);
                        if (!response.AsSpan(3).SequenceEqual(request))
                        {
                            Interlocked.Increment(ref wrong);
                        }
                    }));
                }
            });

        TestContext.Current.SendDiagnosticMessage($"{initiators} x {roundTrips} round trips in {stopwatch.Elapsed.TotalSeconds:F1} s");
        Assert.Equal(0, wrong);
        Assert.Equal(initiators * roundTrips, f.HandlerCalls);

        // Waiting to share: each initiator made exactly one session.
        Assert.Equal(initiators, f.Responder.SessionCount);
        Assert.Equal(0, f.Responder.PendingHandshakeCount);
    }

    [Fact]
    public async Task Concurrent_handshakes_without_waiting_keep_one_established_session_per_initiator_side()
    {
        using var f = new SessionFixture();
        var transport = new YieldingRoundTripper(f.Responder, f.Handler);
        using InitiatorSessions initiator = f.NewInitiator(waitToShare: false);
        CancellationToken ct = TestContext.Current.CancellationToken;
        byte[][] responses = await Task.WhenAll(Enumerable.Range(0, 20).Select(i =>
            initiator.RoundTripAsync(transport, f.Identity, new byte[] { (byte)'R', (byte)i }, TimeSpan.Zero, TimeSpan.FromSeconds(10), ct)));
        Assert.All(responses.Select((r, i) => (r, i)), x => Assert.Equal(x.i, x.r[4]));
        Assert.InRange(f.Responder.SessionCount, 1, 20);

        // Later round trips share whichever session was established last.
        int before = f.Responder.SessionCount;
        await initiator.RoundTripAsync(transport, f.Identity, new byte[] { 1 }, TimeSpan.Zero, TimeSpan.FromSeconds(10), ct);
        Assert.Equal(before, f.Responder.SessionCount);
    }
}
