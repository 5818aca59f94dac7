using System.Collections.Concurrent;
using Inroad.Broker.Quality;
using Inroad.Brokers;
using Inroad.Protocol.Messages;
using Inroad.Server.Quality;
using Inroad.Sessions;
using Inroad.Sessions.Keys;
using Inroad.Sessions.Obfuscation;
using Inroad.Sessions.Records;
using Microsoft.Extensions.Time.Testing;
using Id32 = Inroad.Protocol.Id32;

namespace Inroad.Tests.Server.Quality;

/// <summary>
/// The tunnel server's proxy quality reporter (design §4.5) against fake brokers on a fake clock: what counts as a
/// quality tunnel, and how counts are batched, sent to every broker, retried, bounded and flushed.
/// </summary>
public sealed class ProxyQualityReporterTests
{
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly Id32 ProxyA = Id32.From(Enumerable.Repeat((byte)0xA1, 32).ToArray());
    private static readonly Id32 ProxyB = Id32.From(Enumerable.Repeat((byte)0xB2, 32).ToArray());

    private static CancellationToken Timeout(int seconds = 30)
    {
        var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(TimeSpan.FromSeconds(seconds));
        return cts.Token;
    }

    /// <summary>Brokers that record every request with the fake time it arrived and answer as <see cref="Behaviour"/> says.</summary>
    private sealed class FakeBrokers
    {
        private readonly FakeTimeProvider _time;

        public FakeBrokers(FakeTimeProvider time, int count)
        {
            _time = time;
            Specs = [.. Enumerable.Range(1, count).Select(i =>
            {
                using SessionPrivateKey key = SessionPrivateKey.Generate();
                return new BrokerSpec(new Uri($"http://127.0.0.1:9/broker{i}"), new ResponderIdentity(key.PublicKey, ObfuscationSecret.Generate()));
            })];
        }

        public IReadOnlyList<BrokerSpec> Specs { get; }

        public ConcurrentQueue<(BrokerSpec Broker, ServerProxyQualityRequest Request, DateTimeOffset At)> Calls { get; } = new();

        /// <summary>What a broker does with a request; acknowledges by default.</summary>
        public Func<BrokerSpec, CancellationToken, Task> Behaviour { get; set; } = (_, _) => Task.CompletedTask;

        /// <summary>
        /// When each call's token was cancelled, on the fake clock. The callback runs inside the clock's Advance, so
        /// this is exact; a call's own stamp in <see cref="Calls"/> can come late, when the clock moved on between
        /// the reporter starting an attempt's timeout and making the call.
        /// </summary>
        public ConcurrentQueue<DateTimeOffset> Cancelled { get; } = new();

        public Task Send(BrokerSpec broker, ServerProxyQualityRequest request, CancellationToken cancellationToken)
        {
            Calls.Enqueue((broker, request, _time.GetUtcNow()));
            cancellationToken.Register(() => Cancelled.Enqueue(_time.GetUtcNow()));
            return Behaviour(broker, cancellationToken);
        }

        public static Task Hang(BrokerSpec broker, CancellationToken cancellationToken) => Task.Delay(System.Threading.Timeout.Infinite, cancellationToken);
    }

    private static ProxyQualityReporter Reporter(FakeTimeProvider time, FakeBrokers brokers, Action<ProxyQualityReporterOptions>? configure = null)
    {
        var options = new ProxyQualityReporterOptions { Brokers = brokers.Specs, Send = brokers.Send, TimeProvider = time };
        configure?.Invoke(options);
        return new ProxyQualityReporter(options);
    }

    /// <summary>A fake clock, fake brokers and a reporter over them (disposed with the rig).</summary>
    private sealed class Rig(int brokerCount = 1, Action<ProxyQualityReporterOptions>? configure = null) : IAsyncDisposable
    {
        private readonly FakeTimeProvider _time = new(Start);
        private FakeBrokers? _brokers;
        private ProxyQualityReporter? _reporter;

        public void Deconstruct(out FakeTimeProvider time, out FakeBrokers brokers, out ProxyQualityReporter reporter)
        {
            time = _time;
            brokers = _brokers ??= new FakeBrokers(_time, brokerCount);
            reporter = _reporter ??= Reporter(_time, brokers, configure);
        }

        // A reporter may still hold a hung request (a failed test): the fake clock moves until its flush time is up.
        public async ValueTask DisposeAsync()
        {
            if (_reporter is not null)
            {
                Task dispose = _reporter.DisposeAsync().AsTask();
                using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                await DriveAsync(_time, () => dispose.IsCompleted, bound.Token);
                await dispose;
            }
        }
    }

    private static QualityTunnel Tunnel(Id32 proxy, uint proxyAsn = 100, uint clientAsn = 200, string region = "IR", bool personal = false, long up = 0, long down = 0, double seconds = 0) =>
        new(proxy, proxyAsn, clientAsn, region, personal, up, down, TimeSpan.FromSeconds(seconds));

    // Moves the fake clock in small steps, letting the reporter's loop run between them, until the condition holds.
    private static async Task DriveAsync(FakeTimeProvider time, Func<bool> done, CancellationToken ct, int stepMs = 50)
    {
        while (!done())
        {
            time.Advance(TimeSpan.FromMilliseconds(stepMs));
            await Task.Delay(2, ct);
        }
    }

    private static Dictionary<ProxyQualityKey, Dictionary<string, long>> Decode(ServerProxyQualityRequest request) =>
        request.QualityCounts.ToDictionary(
            c => ProxyQualityKey.TryRead(c.Key.Span, out ProxyQualityKey k) ? k : throw new InvalidDataException("bad key"),
            c => c.ClientAsnCounts.ToDictionary(a => a.ClientAsn, a => a.Count));

    [Theory]
    [InlineData(100, 200, 30, true)]
    [InlineData(99, 200, 30, false)]
    [InlineData(100, 199, 30, false)]
    [InlineData(100, 200, 29.9, false)]
    [InlineData(5000, 5000, 3600, true)]
    public async Task A_tunnel_counts_only_when_it_meets_every_target(long up, long down, double seconds, bool counts)
    {
        await using var rig = new Rig(1, o =>
        {
            o.TargetUpstreamBytes = 100;
            o.TargetDownstreamBytes = 200;
            o.TargetDuration = TimeSpan.FromSeconds(30);
        });
        (FakeTimeProvider time, _, ProxyQualityReporter reporter) = rig;
        Assert.Equal(counts, reporter.TryCount(Tunnel(ProxyA, up: up, down: down, seconds: seconds)));
        Assert.Equal(counts ? 1 : 0, reporter.Qualified);
        Assert.Equal(counts ? 1 : 0, reporter.QueuedKeys);
    }

    [Fact]
    public async Task With_the_default_zero_targets_every_verified_tunnel_counts_but_never_a_personal_one()
    {
        await using var rig = new Rig();
        (FakeTimeProvider time, _, ProxyQualityReporter reporter) = rig;
        Assert.True(reporter.TryCount(Tunnel(ProxyA)));
        Assert.False(reporter.TryCount(Tunnel(ProxyB, personal: true, up: 1 << 30, down: 1 << 30, seconds: 86400)));
        Assert.False(reporter.IsEligible(Tunnel(ProxyB, personal: true)));
        Assert.Equal(1, reporter.Qualified);
        Assert.Equal(1, reporter.QueuedKeys);
    }

    [Fact]
    public async Task Client_regions_limit_which_tunnels_count()
    {
        await using var rig = new Rig(1, o => o.ClientRegions = ["IR", "CN"]);
        (FakeTimeProvider time, _, ProxyQualityReporter reporter) = rig;
        Assert.True(reporter.TryCount(Tunnel(ProxyA, region: "IR")));
        Assert.True(reporter.TryCount(Tunnel(ProxyA, region: "CN")));
        Assert.False(reporter.TryCount(Tunnel(ProxyA, region: "US")));
        Assert.False(reporter.TryCount(Tunnel(ProxyA, region: ""))); // unknown country: not in the list
        Assert.Equal(2, reporter.Qualified);
    }

    [Fact]
    public async Task Counts_gather_for_the_batching_delay_then_go_in_one_request_keyed_by_proxy_and_asn()
    {
        CancellationToken ct = Timeout();
        await using var rig = new Rig();
        (FakeTimeProvider time, FakeBrokers brokers, ProxyQualityReporter reporter) = rig;
        Assert.True(reporter.TryCount(Tunnel(ProxyA, proxyAsn: 100, clientAsn: 200)));
        time.Advance(TimeSpan.FromSeconds(5));
        Assert.True(reporter.TryCount(Tunnel(ProxyA, proxyAsn: 100, clientAsn: 200)));
        Assert.True(reporter.TryCount(Tunnel(ProxyA, proxyAsn: 100, clientAsn: 0))); // unknown client ASN
        Assert.True(reporter.TryCount(Tunnel(ProxyA, proxyAsn: 0, clientAsn: 300)));  // the same proxy on another (unknown) ASN
        Assert.True(reporter.TryCount(Tunnel(ProxyB, proxyAsn: 7, clientAsn: 300)));
        await DriveAsync(time, () => !brokers.Calls.IsEmpty, ct);

        (BrokerSpec broker, ServerProxyQualityRequest request, DateTimeOffset at) = Assert.Single(brokers.Calls);
        Assert.InRange(at - Start, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(15)); // never before the delay; soon after (the clock runs on while the reporter waits for a thread)
        Assert.Same(brokers.Specs[0], broker);
        Dictionary<ProxyQualityKey, Dictionary<string, long>> counts = Decode(request);
        Assert.Equal(3, counts.Count);
        Assert.Equal(new Dictionary<string, long> { ["200"] = 2, ["0"] = 1 }, counts[new ProxyQualityKey(ProxyA, 100)]);
        Assert.Equal(new Dictionary<string, long> { ["300"] = 1 }, counts[new ProxyQualityKey(ProxyA, 0)]);
        Assert.Equal(new Dictionary<string, long> { ["300"] = 1 }, counts[new ProxyQualityKey(ProxyB, 7)]);
        Assert.Contains(request.QualityCounts, c => System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(c.Key.Span[32..]) == ProxyQualityKey.UnknownAsnOnWire);
        await DriveAsync(time, () => reporter.RequestsSent == 1, ct);
        Assert.Equal(0, reporter.QueuedKeys);

        // The next count starts a new batching window.
        DateTimeOffset second = time.GetUtcNow();
        Assert.True(reporter.TryCount(Tunnel(ProxyB, proxyAsn: 7, clientAsn: 301)));
        await DriveAsync(time, () => brokers.Calls.Count == 2, ct);
        Assert.InRange(brokers.Calls.Last().At - second, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(15));
    }

    [Fact]
    public async Task A_large_backlog_goes_in_requests_of_at_most_the_request_size_oldest_first()
    {
        CancellationToken ct = Timeout();
        await using var rig = new Rig();
        (FakeTimeProvider time, FakeBrokers brokers, ProxyQualityReporter reporter) = rig;
        for (int i = 0; i < 2500; i++)
        {
            Assert.True(reporter.TryCount(Tunnel(ProxyA, proxyAsn: (uint)(i + 1))));
        }

        await DriveAsync(time, () => reporter.RequestsSent == 3, ct);
        ServerProxyQualityRequest[] requests = [.. brokers.Calls.Select(c => c.Request)];
        Assert.Equal(new[] { 1000, 1000, 500 }, requests.Select(r => r.QualityCounts.Count));
        Assert.Equal(
            Enumerable.Range(1, 2500).Select(i => (uint)i),
            requests.SelectMany(r => r.QualityCounts).Select(c => ProxyQualityKey.TryRead(c.Key.Span, out ProxyQualityKey k) ? k.ProxyAsn : 0));
        Assert.True(CborRecords.Marshal(requests[0]).Length < 64 * 1024, "a full request fits the broker's body limit");
    }

    [Fact]
    public void Keys_with_many_client_asns_make_smaller_requests_that_stay_under_the_brokers_body_limit()
    {
        var queue = new ProxyQualityQueue(maxKeys: 10_000, maxClientAsnsPerKey: 100);
        for (uint k = 1; k <= 1000; k++)
        {
            for (uint c = 0; c < 10; c++)
            {
                Assert.True(queue.Add(new ProxyQualityKey(ProxyA, k), 4_200_000_000 + c));
            }
        }

        var sizes = new List<(int Keys, int Bytes)>();
        while (queue.TakeBatch(1000) is { } batch)
        {
            sizes.Add((batch.QualityCounts.Count, CborRecords.Marshal(batch).Length));
            Assert.All(batch.QualityCounts, c => Assert.Equal(10, c.ClientAsnCounts.Count));
        }

        Assert.Equal(1000, sizes.Sum(s => s.Keys));
        Assert.True(sizes[0].Keys < 1000, $"{sizes[0].Keys} keys in the first request");
        Assert.All(sizes, s => Assert.InRange(s.Bytes, 1, ProxyQualityQueue.MaxCborBytes + 16)); // + record framing
        Assert.True(sizes[0].Bytes > ProxyQualityQueue.MaxCborBytes * 0.95, $"{sizes[0].Bytes} bytes: the estimate is too loose");
        Assert.Equal(0, queue.Count);
    }

    [Fact]
    public async Task Every_broker_gets_the_same_request_and_one_failing_broker_does_not_hold_the_others_back()
    {
        CancellationToken ct = Timeout();
        await using var rig = new Rig(3);
        (FakeTimeProvider time, FakeBrokers brokers, ProxyQualityReporter reporter) = rig;
        brokers.Behaviour = (b, _) => b == brokers.Specs[1] ? Task.FromException(new IOException("refused")) : Task.CompletedTask;
        Assert.True(reporter.TryCount(Tunnel(ProxyA)));
        await DriveAsync(time, () => reporter.RequestsSent == 2 && reporter.RequestsGivenUp == 1, ct);

        Assert.Equal(1, brokers.Calls.Count(c => c.Broker == brokers.Specs[0]));
        Assert.Equal(3, brokers.Calls.Count(c => c.Broker == brokers.Specs[1])); // first attempt + 2 retries
        Assert.Equal(1, brokers.Calls.Count(c => c.Broker == brokers.Specs[2]));
        Assert.Single(brokers.Calls.Select(c => c.Request).Distinct());
        Assert.Equal(3, reporter.RequestFailures);
    }

    [Fact]
    public async Task A_broker_that_never_answers_gets_the_timeout_then_two_retries_then_the_batch_is_given_up()
    {
        CancellationToken ct = Timeout();
        await using var rig = new Rig();
        (FakeTimeProvider time, FakeBrokers brokers, ProxyQualityReporter reporter) = rig;
        brokers.Behaviour = FakeBrokers.Hang;
        Assert.True(reporter.TryCount(Tunnel(ProxyA)));
        await DriveAsync(time, () => reporter.RequestsGivenUp == 1, ct, stepMs: 20);

        // Each attempt starts after the previous one was cancelled and lives its whole 10 s timeout, so the
        // cancellations are at least 10 s apart; well under 15 s shows the retry follows at once (the slack is
        // the fake time the clock may run on while the reporter's continuation waits for a thread).
        Assert.Equal(3, brokers.Calls.Count);
        DateTimeOffset[] ends = [.. brokers.Cancelled];
        Assert.Equal(3, ends.Length);
        Assert.InRange(ends[1] - ends[0], TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(15));
        Assert.InRange(ends[2] - ends[1], TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(15));
        Assert.Equal(0, reporter.RequestsSent);
        Assert.Equal(3, reporter.RequestFailures);

        // Given up means gone: nothing is sent again, and later counts still go out.
        brokers.Behaviour = (_, _) => Task.CompletedTask;
        Assert.True(reporter.TryCount(Tunnel(ProxyB)));
        await DriveAsync(time, () => reporter.RequestsSent == 1, ct, stepMs: 100);
        Assert.Equal(4, brokers.Calls.Count);
        Assert.Equal([new ProxyQualityKey(ProxyB, 100)], Decode(brokers.Calls.Last().Request).Keys);
    }

    [Fact]
    public async Task A_dead_broker_does_not_hold_back_the_others_and_its_full_lane_gives_batches_up_for_it_alone()
    {
        CancellationToken ct = Timeout();
        await using var rig = new Rig(2, o =>
        {
            o.MaxRequestEntries = 1;
            o.MaxPendingRequestsPerBroker = 2;
        });
        (FakeTimeProvider time, FakeBrokers brokers, ProxyQualityReporter reporter) = rig;
        BrokerSpec dead = brokers.Specs[0];
        brokers.Behaviour = (b, c) => b == dead ? FakeBrokers.Hang(b, c) : Task.CompletedTask;
        for (uint i = 1; i <= 6; i++)
        {
            Assert.True(reporter.TryCount(Tunnel(ProxyA, proxyAsn: i)));
        }

        // The live broker gets all six batches once the dead one's first attempt timed out (not after its retries).
        await DriveAsync(time, () => reporter.RequestsSent == 6, ct);
        Assert.InRange(time.GetUtcNow() - Start, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(22));
        Assert.Equal(6, brokers.Calls.Count(c => c.Broker == brokers.Specs[1]));
        Assert.Equal(3, reporter.RequestsGivenUp); // batches 4-6: the dead broker's lane (1 in flight + 2 waiting) was full

        // The dead broker's sender keeps going through what it holds: three attempts for each of batches 1-3.
        await DriveAsync(time, () => reporter.RequestsGivenUp == 6, ct, stepMs: 200);
        Assert.Equal(9, brokers.Calls.Count(c => c.Broker == dead));
        Assert.Equal(
            new uint[] { 1, 2, 3 },
            brokers.Calls.Where(c => c.Broker == dead).Select(c => Decode(c.Request).Keys.Single().ProxyAsn).Distinct());
    }

    [Fact]
    public async Task The_queue_is_bounded_and_counts_what_it_drops()
    {
        await using var rig = new Rig(1, o =>
        {
            o.MaxQueuedKeys = 3;
            o.MaxClientAsnsPerKey = 2;
        });
        (_, _, ProxyQualityReporter reporter) = rig;
        for (uint i = 1; i <= 5; i++)
        {
            Assert.True(reporter.TryCount(Tunnel(ProxyA, proxyAsn: i))); // qualified, even when the queue drops it
        }

        Assert.Equal(3, reporter.QueuedKeys);
        Assert.Equal(2, reporter.Dropped);
        _ = reporter.TryCount(Tunnel(ProxyA, proxyAsn: 1, clientAsn: 201)); // a second client ASN for a queued key: kept
        _ = reporter.TryCount(Tunnel(ProxyA, proxyAsn: 1, clientAsn: 200)); // a known one: its count grows
        _ = reporter.TryCount(Tunnel(ProxyA, proxyAsn: 1, clientAsn: 202)); // a third: over the per-key bound
        Assert.Equal(3, reporter.Dropped);
        Assert.Equal(3, reporter.QueuedKeys);
    }

    [Fact]
    public async Task Disposing_sends_what_is_queued_at_once_and_gives_up_when_the_flush_time_runs_out()
    {
        CancellationToken ct = Timeout();
        var time = new FakeTimeProvider(Start);
        var brokers = new FakeBrokers(time, 1);
        ProxyQualityReporter reporter = Reporter(time, brokers);
        Assert.True(reporter.TryCount(Tunnel(ProxyA)));
        await reporter.DisposeAsync().AsTask().WaitAsync(ct); // no clock movement needed: the delay is skipped
        Assert.Equal(time.GetUtcNow(), Assert.Single(brokers.Calls).At);
        Assert.Equal(1, reporter.RequestsSent);
        Assert.False(reporter.TryCount(Tunnel(ProxyB)) && reporter.QueuedKeys > 0); // counted after disposal: dropped
        Assert.Equal(1, reporter.Dropped);

        // A broker that hangs: disposal ends once the fake clock passes the flush timeout, and the rest is dropped.
        var hung = new FakeBrokers(time, 1) { Behaviour = FakeBrokers.Hang };
        ProxyQualityReporter stuck = Reporter(time, hung, o =>
        {
            o.FlushTimeout = TimeSpan.FromSeconds(3);
            o.MaxRequestEntries = 1;
        });
        Assert.True(stuck.TryCount(Tunnel(ProxyA)));
        Assert.True(stuck.TryCount(Tunnel(ProxyB)));
        Task dispose = stuck.DisposeAsync().AsTask();
        DateTimeOffset disposed = time.GetUtcNow();
        await DriveAsync(time, () => dispose.IsCompleted, ct);
        await dispose;
        Assert.InRange(time.GetUtcNow() - disposed, TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(5));
        Assert.Single(hung.Calls); // the first batch hung; the second was never sent
        Assert.Equal(2, stuck.RequestsGivenUp);
    }

    [Fact]
    public async Task Watching_a_running_tunnel_counts_it_once_it_qualifies_or_at_its_end()
    {
        CancellationToken ct = Timeout();
        await using var rig = new Rig(1, o =>
        {
            o.TargetDownstreamBytes = 1000;
            o.CheckInterval = TimeSpan.FromSeconds(1);
        });
        (FakeTimeProvider time, _, ProxyQualityReporter reporter) = rig;

        // Qualifies while running: counted at the next check, the watch ends.
        long down = 0;
        using var running = new CancellationTokenSource();
        Task<bool> watch = reporter.WatchAsync(() => Tunnel(ProxyA, down: Volatile.Read(ref down)), running.Token);
        await DriveAsync(time, () => time.GetUtcNow() - Start > TimeSpan.FromSeconds(3), ct);
        Assert.False(watch.IsCompleted);
        Volatile.Write(ref down, 1000);
        await DriveAsync(time, () => watch.IsCompleted, ct);
        Assert.True(await watch);

        // Qualifies only with its final counts: counted when the tunnel ends.
        long down2 = 0;
        using var ending = new CancellationTokenSource();
        Task<bool> watch2 = reporter.WatchAsync(() => Tunnel(ProxyB, down: Volatile.Read(ref down2)), ending.Token);
        Volatile.Write(ref down2, 5000);
        await ending.CancelAsync();
        Assert.True(await watch2.WaitAsync(ct));

        // Never eligible (personal): the watch ends at once without a count.
        Assert.False(await reporter.WatchAsync(() => Tunnel(ProxyB, personal: true, down: 5000), ct).WaitAsync(ct));
        Assert.Equal(2, reporter.Qualified);
    }

    [Theory]
    [InlineData("Brokers")]
    [InlineData("PrivateKey")]
    [InlineData("ClientRegions")]
    [InlineData("MaxRequestEntries")]
    [InlineData("RequestDelay")]
    [InlineData("TargetUpstreamBytes")]
    public void Options_validation_names_the_bad_property(string property)
    {
        var time = new FakeTimeProvider(Start);
        var brokers = new FakeBrokers(time, 1);
        var options = new ProxyQualityReporterOptions { Brokers = brokers.Specs, Send = brokers.Send };
        switch (property)
        {
            case "Brokers": options.Brokers = []; break;
            case "PrivateKey": options.Send = null; break;
            case "ClientRegions": options.ClientRegions = ["ir"]; break;
            case "MaxRequestEntries": options.MaxRequestEntries = ServerProxyQualityRequest.MaxEntries + 1; break;
            case "RequestDelay": options.RequestDelay = TimeSpan.Zero; break;
            case "TargetUpstreamBytes": options.TargetUpstreamBytes = -1; break;
        }

        ArgumentException e = Assert.ThrowsAny<ArgumentException>(options.Validate);
        Assert.Equal(property, e.ParamName);
    }
}
