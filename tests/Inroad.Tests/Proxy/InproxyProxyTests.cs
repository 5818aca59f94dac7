using System.Diagnostics;
using Inroad.Protocol;
using Inroad.Proxy;
using Inroad.Testing;
using Inroad.Tests.Broker;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Inroad.Tests.Proxy;

/// <summary>The proxy against a real broker over HTTP/2 and Noise, with a WebRTC test client and a TCP echo destination on loopback.</summary>
public sealed class InproxyProxyTests
{
    private static CancellationToken Timeout() => BrokerServiceTests.Timeout(90);

    private static async Task<byte[]> EchoAsync(Stream stream, byte[] data, CancellationToken ct)
    {
        Task write = Task.Run(
            async () =>
            {
                for (int i = 0; i < data.Length; i += 8192)
                {
                    await stream.WriteAsync(data.AsMemory(i, Math.Min(8192, data.Length - i)), ct);
                }
            },
            ct);
        byte[] received = new byte[data.Length];
        await stream.ReadExactlyAsync(received, ct);
        await write;
        return received;
    }

    [Fact]
    public async Task A_MiB_round_trips_byte_for_byte_and_is_counted_per_region()
    {
        CancellationToken ct = Timeout();
        await using ProxyHarness harness = await ProxyHarness.StartAsync(ct);
        (InproxyProxy proxy, _) = harness.StartProxy(harness.ProxyOptions());
        var activities = new List<ProxyActivity>();
        proxy.Activity += a =>
        {
            lock (activities)
            {
                activities.Add(a);
            }
        };

        await using TestClient client = await harness.DialAsync(ct);
        Assert.NotNull(client.Stream);
        byte[] data = new byte[1 << 20];
        new Random(8).NextBytes(data);
        byte[] echoed = await EchoAsync(client.Stream, data, ct);
        Assert.Equal(data, echoed);

        // The relay counts a chunk once its write returned, which can be after the reader already has it.
        await Eventually.UntilAsync(() => proxy.Snapshot() is var a && a.BytesUp >= data.Length && a.BytesDown >= data.Length, ct);
        ProxyActivity now = proxy.Snapshot();
        Assert.Equal(1, now.Connected);
        Assert.Equal(0, now.Connecting);
        Assert.Equal(data.Length, now.BytesUp);
        Assert.Equal(data.Length, now.BytesDown);
        Assert.Equal(now.BytesDown, now.Regions["NL"].BytesDown);
        Assert.Equal(1, now.Regions["NL"].Connected);
        Assert.Equal(1, now.Counters.Matches);
        Assert.Equal(1, now.Counters.ClientsRelayed);
        Assert.Equal(1, harness.EchoConnections);
        Assert.False(client.Response.ConnectionId.IsZero);

        // The client leaves: the proxy closes the destination and frees the slot.
        await client.DisposeAsync();
        await Eventually.UntilAsync(() => proxy.Snapshot().Connected == 0, ct);
        await Eventually.UntilAsync(() => { lock (activities) { return activities.Count > 0; } }, ct);
        Assert.True(proxy.Snapshot().BytesDown >= data.Length);
    }

    [Fact]
    public async Task Per_client_rate_limit_holds_in_both_directions()
    {
        CancellationToken ct = Timeout();
        await using ProxyHarness harness = await ProxyHarness.StartAsync(ct);
        const int Rate = 100_000;
        (InproxyProxy proxy, _) = harness.StartProxy(harness.ProxyOptions(o =>
        {
            o.LimitUpstreamBytesPerSecond = Rate;
            o.LimitDownstreamBytesPerSecond = Rate;
        }));

        await using TestClient client = await harness.DialAsync(ct);
        byte[] data = new byte[300_000];
        new Random(9).NextBytes(data);
        var watch = Stopwatch.StartNew();
        byte[] echoed = await EchoAsync(client.Stream!, data, ct);
        watch.Stop();
        Assert.Equal(data, echoed);

        // 300 kB through a 100 kB/s bucket with a 25 kB burst takes at least 2.75 s; allow for clock slop.
        Assert.True(watch.Elapsed >= TimeSpan.FromSeconds(2.5), $"took {watch.Elapsed}");
        await Eventually.UntilAsync(() => proxy.Snapshot().BytesUp >= data.Length, ct); // counted once the write returned
        Assert.Equal(data.Length, proxy.Snapshot().BytesUp);
    }

    [Fact]
    public async Task An_idle_relay_is_closed_after_the_inactivity_timeout()
    {
        CancellationToken ct = Timeout();
        await using ProxyHarness harness = await ProxyHarness.StartAsync(ct);
        (InproxyProxy proxy, _) = harness.StartProxy(harness.ProxyOptions(o => o.InactivityTimeout = TimeSpan.FromSeconds(1)));

        await using TestClient client = await harness.DialAsync(ct);

        // The relay's idle timer restarts on every byte it moves, the last time after writing the echo to us, so
        // the close comes at least the timeout after a clock started before we send (less a few ms: the timer's
        // clock is coarser than the stopwatch's).
        var watch = Stopwatch.StartNew();
        byte[] echoed = await EchoAsync(client.Stream!, [1, 2, 3], ct);
        Assert.Equal(new byte[] { 1, 2, 3 }, echoed);

        // Nothing more is sent: the proxy closes the channel (a read ends or fails) and frees the slot.
        byte[] buffer = new byte[16];
        try
        {
            Assert.Equal(0, await client.Stream!.ReadAsync(buffer, ct));
        }
        catch (Exception e) when (e is IOException or InvalidOperationException)
        {
        }

        Assert.True(watch.Elapsed >= TimeSpan.FromSeconds(0.95), $"closed after {watch.Elapsed}");
        await Eventually.UntilAsync(() => proxy.Snapshot().Connected == 0, ct);
        Assert.Equal(0, proxy.Snapshot().Counters.ClientFailures);
    }

    [Fact]
    public async Task A_match_without_a_free_slot_is_answered_capacity_exceeded()
    {
        CancellationToken ct = Timeout();
        await using ProxyHarness harness = await ProxyHarness.StartAsync(ct);
        var shared = new ProxyLimits(1, 0);
        (InproxyProxy first, _) = harness.StartProxy(harness.ProxyOptions(o => o.Limits = shared));
        (InproxyProxy second, _) = harness.StartProxy(harness.ProxyOptions(o => o.Limits = shared));
        await Eventually.UntilAsync(() => harness.Service.Matcher.AnnouncementCount == 2, ct);

        await using TestClient served = await harness.DialAsync(ct);
        Assert.NotNull(served.Stream);
        Assert.Equal(1, shared.Active(ProxyClientKind.Common));

        // The other proxy's announcement is still at the broker; its match finds no slot.
        await using TestClient refused = await harness.DialAsync(ct);
        Assert.True(refused.Response.Limited);
        long exceeded = first.Snapshot().Counters.CapacityExceeded + second.Snapshot().Counters.CapacityExceeded;
        Assert.Equal(1, exceeded);
        Assert.Equal(1, harness.EchoConnections);
        ProxyActivity refusing = first.Snapshot().Counters.CapacityExceeded == 1 ? first.Snapshot() : second.Snapshot();
        Assert.True(refusing.BackoffFactor > 1);
        Assert.Equal(0, refusing.Announcing); // no slot free: it does not re-announce
    }

    [Fact]
    public async Task Limited_backs_off_exponentially_but_no_match_re_announces_at_once()
    {
        CancellationToken ct = Timeout();

        // No common compartment on this broker: every common announcement is Limited.
        var watch = Stopwatch.StartNew();
        await using ProxyHarness limitedBroker = await ProxyHarness.StartAsync(ct, noCommonCompartments: true);
        (InproxyProxy limited, _) = limitedBroker.StartProxy(limitedBroker.ProxyOptions());

        // Announcements time out after 200 ms: NoMatch.
        await using ProxyHarness idleBroker = await ProxyHarness.StartAsync(ct, announceTimeout: TimeSpan.FromMilliseconds(200));
        (InproxyProxy idle, _) = idleBroker.StartProxy(idleBroker.ProxyOptions());

        // Waits on counts, not on a fixed window, so a loaded machine only makes the test slower.
        await Eventually.UntilAsync(() => idle.Snapshot().Counters.NoMatch >= 6, ct);
        await Eventually.UntilAsync(() => limited.Snapshot().Counters.Limited >= 3, ct);
        ProxyActivity l = limited.Snapshot();
        double elapsedMs = watch.Elapsed.TotalMilliseconds;
        ProxyActivity n = idle.Snapshot();

        // Backoff 200, 400, 800, 1600 ms (±50 %): the k-th Limited answer comes at least the sum of the first k-1
        // half backoffs after the start. Without backoff the answers come every ~100 ms and this fails.
        double minimumMs = 0;
        for (int i = 0; i < l.Counters.Limited - 1; i++)
        {
            minimumMs += 100 * Math.Pow(2, i);
        }

        Assert.True(elapsedMs >= minimumMs, $"{l.Counters.Limited} Limited answers in {elapsedMs:F0} ms (backoff allows ≥ {minimumMs:F0} ms)");
        Assert.True(l.BackoffFactor >= 4, $"factor {l.BackoffFactor}");

        // Each Limited answer backs off once (the last one's backoff may follow its count by a moment).
        Assert.InRange(l.Counters.Backoffs, l.Counters.Limited - 1, l.Counters.Limited);

        // NoMatch never backs off.
        Assert.Equal(0, n.Counters.Backoffs);
        Assert.Equal(1, n.BackoffFactor);
    }

    [Fact]
    public async Task A_personal_proxy_serves_only_its_compartment()
    {
        CancellationToken ct = Timeout();
        await using ProxyHarness harness = await ProxyHarness.StartAsync(ct);
        Id32 personal = Id32.NewRandom();
        (InproxyProxy proxy, _) = harness.StartProxy(harness.ProxyOptions(o =>
        {
            o.PersonalCompartmentId = personal;
            o.MaxPersonalClients = 1;
            o.MaxCommonClients = 5; // ignored: a personal proxy never serves common clients
        }));
        await Eventually.UntilAsync(() => harness.Service.Matcher.AnnouncementCount == 1, ct);

        await using TestClient common = await harness.DialAsync(ct);
        Assert.True(common.Response.NoMatch);
        Assert.Equal(0, proxy.Snapshot().Counters.Matches);

        await using TestClient paired = await harness.DialAsync(ct, personal);
        Assert.NotNull(paired.Stream);
        Assert.Equal(new byte[] { 9, 8, 7 }, await EchoAsync(paired.Stream, [9, 8, 7], ct));
        Assert.Equal(1, proxy.Snapshot().Counters.Matches);
    }

    [Fact]
    public async Task A_failed_answer_is_still_sent_so_the_client_hears_at_once_and_the_proxy_backs_off()
    {
        CancellationToken ct = Timeout();
        await using ProxyHarness harness = await ProxyHarness.StartAsync(ct);
        (InproxyProxy proxy, _) = harness.StartProxy(harness.ProxyOptions());
        await Eventually.UntilAsync(() => harness.Service.Matcher.AnnouncementCount == 1, ct);

        var watch = Stopwatch.StartNew();
        await using TestClient broken = await harness.DialAsync(ct, offerOverride: "v=0\r\nnot an offer\r\n");
        Assert.True(broken.Response.Limited); // the broker relays the proxy's AnswerError as Limited
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"answered after {watch.Elapsed}"); // not the offer timeout
        // The broker answers the client as soon as the proxy's answer arrives; the proxy counts once its request returns.
        await Eventually.UntilAsync(() => proxy.Snapshot().Counters is { AnswerErrors: >= 1, ClientFailures: >= 1, Backoffs: >= 1 }, ct);
        ProxyActivity after = proxy.Snapshot();
        Assert.Equal(1, after.Counters.AnswerErrors);
        Assert.Equal(1, after.Counters.ClientFailures);
        Assert.True(after.Counters.Backoffs >= 1);
        Assert.Equal(0, harness.EchoConnections);

        // After the backoff it announces again and serves the next client.
        await using TestClient good = await harness.DialAsync(ct);
        Assert.NotNull(good.Stream);
        Assert.Equal(new byte[] { 4, 5 }, await EchoAsync(good.Stream, [4, 5], ct));
    }

    [Fact]
    public async Task Disposing_the_proxy_tears_down_its_clients()
    {
        CancellationToken ct = Timeout();
        await using ProxyHarness harness = await ProxyHarness.StartAsync(ct);
        (InproxyProxy proxy, Task run) = harness.StartProxy(harness.ProxyOptions());
        await using TestClient client = await harness.DialAsync(ct);
        Assert.Equal(new byte[] { 1 }, await EchoAsync(client.Stream!, [1], ct));

        await proxy.DisposeAsync();
        await run.WaitAsync(ct); // RunAsync ends quietly
        Assert.Equal(0, proxy.Snapshot().Connected);
        await client.Peer!.Completion.WaitAsync(ct); // the association ended
        try
        {
            Assert.Equal(0, await client.Stream!.ReadAsync(new byte[1], ct));
        }
        catch (Exception e) when (e is IOException or InvalidOperationException)
        {
        }
    }

    [Fact]
    public async Task The_first_announcement_is_a_precheck_the_broker_answers_at_once()
    {
        CancellationToken ct = Timeout();
        await using ProxyHarness harness = await ProxyHarness.StartAsync(ct); // announcements otherwise wait 30 s
        (InproxyProxy proxy, _) = harness.StartProxy(harness.ProxyOptions(o => o.MaxCommonClients = 3));
        var watch = Stopwatch.StartNew();
        await Eventually.UntilAsync(() => proxy.Snapshot().Counters.NoMatch >= 1, ct);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(15), $"precheck answered after {watch.Elapsed}");
        Assert.Equal(0, proxy.Snapshot().Counters.Backoffs);

        // Then the pool: one announcement per free slot, all waiting at the broker.
        await Eventually.UntilAsync(() => harness.Service.Matcher.AnnouncementCount == 3, ct);
        Assert.Equal(3, proxy.Snapshot().Announcing);
    }

    [Fact]
    public async Task When_the_destination_closes_the_client_gets_every_byte_then_the_end()
    {
        CancellationToken ct = Timeout();
        byte[] payload = new byte[200_000];
        new Random(10).NextBytes(payload);
        await using ProxyHarness harness = await ProxyHarness.StartAsync(ct, serve: async (s, token) =>
        {
            byte[] hello = new byte[5];
            await s.ReadExactlyAsync(hello, token);
            await s.WriteAsync(payload, token);
            s.Socket.Shutdown(System.Net.Sockets.SocketShutdown.Both);
        });
        (InproxyProxy proxy, _) = harness.StartProxy(harness.ProxyOptions());
        await using TestClient client = await harness.DialAsync(ct);
        await client.Stream!.WriteAsync("hello"u8.ToArray(), ct);

        using var received = new MemoryStream();
        byte[] buffer = new byte[16384];
        try
        {
            int n;
            while ((n = await client.Stream.ReadAsync(buffer, ct)) > 0)
            {
                received.Write(buffer, 0, n);
            }
        }
        catch (Exception e) when (e is IOException or InvalidOperationException)
        {
            // The association may end right behind the data.
        }

        Assert.Equal(payload, received.ToArray());
        await Eventually.UntilAsync(() => proxy.Snapshot().Connected == 0, ct);
        Assert.Equal(payload.Length, proxy.Snapshot().BytesDown);
    }

    [Fact]
    public async Task An_unreachable_broker_is_retried_ever_more_slowly_without_escalating_the_Limited_backoff()
    {
        CancellationToken ct = Timeout();
        await using ProxyHarness harness = await ProxyHarness.StartAsync(ct);
        using var brokers = new Inroad.Brokers.BrokerClient(new Inroad.Brokers.BrokerClientOptions { Brokers = [DeadBroker(harness)], PrivateKey = null });
        var failures = new FailureClock();
        (InproxyProxy proxy, _) = harness.StartProxy(harness.ProxyOptions(o =>
        {
            o.Brokers = brokers;
            o.AnnounceDelayJitter = 0;
            o.TransportRetryDelay = TimeSpan.FromMilliseconds(100);
            o.MaxTransportRetryDelay = TimeSpan.FromMilliseconds(400);
            o.LoggerFactory = failures;
        }));

        // 100, 200, 400, then 400 ms for good: the pause doubles per failure in a row up to its bound. Each failure is
        // timed as the proxy logs it, before it starts its pause, so the next one comes at least that pause later.
        await Eventually.UntilAsync(() => failures.Count >= 5, ct);
        ProxyActivity last = proxy.Snapshot();
        Assert.Equal(TimeSpan.FromMilliseconds(400), last.BrokerRetryDelay);
        TimeSpan elapsed = failures.Between(0, 4);
        Assert.True(elapsed >= TimeSpan.FromMilliseconds(100 + 200 + 400 + 400), $"five failures within {elapsed}");
        Assert.Equal(0, last.Counters.Backoffs);
        Assert.Equal(1, last.BackoffFactor);
        Assert.Equal(0, last.Counters.Announcements);
    }

    [Fact]
    public async Task A_broker_answer_resets_the_transport_retry_delay()
    {
        CancellationToken ct = Timeout();
        await using ProxyHarness harness = await ProxyHarness.StartAsync(ct, announceTimeout: TimeSpan.FromMilliseconds(300));
        using var key = Inroad.Sessions.Keys.SessionPrivateKey.Generate();
        using var brokers = new Inroad.Brokers.BrokerClient(new Inroad.Brokers.BrokerClientOptions
        {
            Brokers = [DeadBroker(harness), new Inroad.Brokers.BrokerSpec(harness.Host.Address, harness.Identity)],
            PrivateKey = key,
        });
        (InproxyProxy proxy, _) = harness.StartProxy(harness.ProxyOptions(o =>
        {
            o.Brokers = brokers;
            o.TransportRetryDelay = TimeSpan.FromMilliseconds(100);
        }));

        // The dead broker (tried first) fails, which doubles the pause to 200 ms; the proxy rotates to the live one,
        // whose answer resets it. Announcements go one at a time until the first answer, and the live broker keeps
        // the proxy (it answered recently), so once both counts are up this state lasts.
        await Eventually.UntilAsync(() => proxy.Snapshot().Counters is { TransportFailures: >= 1, Announcements: >= 1 }, ct);
        ProxyActivity after = proxy.Snapshot();
        Assert.Equal(1, after.Counters.TransportFailures);
        Assert.Equal(TimeSpan.FromMilliseconds(100), after.BrokerRetryDelay);
    }

    // Port 1 is outside the ephemeral range and nothing in the suite listens there: connections are refused at once.
    // (A port taken from a released listener could be handed to another test's listener in the meantime.)
    private static Inroad.Brokers.BrokerSpec DeadBroker(ProxyHarness harness) =>
        new(new Uri("http://127.0.0.1:1/inroad-broker"), harness.Identity);

    /// <summary>Times the proxy's broker transport failures as it logs them (Debug, event 2 of Inroad.Proxy).</summary>
    private sealed class FailureClock : ILoggerFactory, ILogger
    {
        private readonly List<long> _times = [];

        public int Count
        {
            get
            {
                lock (_times)
                {
                    return _times.Count;
                }
            }
        }

        public TimeSpan Between(int first, int last)
        {
            lock (_times)
            {
                return Stopwatch.GetElapsedTime(_times[first], _times[last]);
            }
        }

        public ILogger CreateLogger(string categoryName) => categoryName == "Inroad.Proxy" ? this : NullLogger.Instance;

        public void AddProvider(ILoggerProvider provider) => throw new NotSupportedException();

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (eventId.Id == 2)
            {
                long now = Stopwatch.GetTimestamp();
                lock (_times)
                {
                    _times.Add(now);
                }
            }
        }

        public void Dispose()
        {
        }
    }
}
