using System.Diagnostics;
using System.Globalization;
using Inroad.Broker.Compartments;
using Inroad.Broker.Destinations;
using Inroad.Broker.Http;
using Inroad.Broker.Matching;
using Inroad.Broker.Reports;
using Inroad.Broker.Service;
using Inroad.Geo;
using Inroad.Protocol;
using Inroad.Protocol.Messages;
using Inroad.Sessions;
using Inroad.Sessions.Keys;
using Id32 = Inroad.Protocol.Id32;
using Inroad.Sessions.Obfuscation;
using Inroad.Sessions.Records;

namespace Inroad.Benchmarks.Broker;

/// <summary>
/// <c>dotnet run -c Release --project bench/Inroad.Benchmarks -- broker-load [proxies] [clients] [seconds]</c>:
/// a real broker (<see cref="BrokerHttpHost"/>, Kestrel h2c on loopback) in a child process, driven from this
/// process by <c>proxies</c> long-polling proxies and <c>clients</c> clients offering in a loop, each peer with
/// its own Noise session, over HTTP/2 (one connection per 250 peers). Every matched proxy answers at once and
/// announces again. Prints matches/s, the client's offer→answer round-trip latency (p50/p99, after one untimed
/// offer per client that also does the handshake), and the broker process's RSS (now and peak) and CPU.
/// </summary>
internal static class BrokerLoadBench
{
    private const string ServeMode = "broker-serve";
    private const int PeersPerConnection = 250;

    // Fixed, bench-only key material so the parent knows the child broker's identity without a handshake channel.
    private static readonly byte[] BrokerSeed = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();
    private static readonly byte[] BrokerSecret = Enumerable.Range(40, 32).Select(i => (byte)i).ToArray();
    private static readonly byte[] NetworkSeed = Enumerable.Range(80, 32).Select(i => (byte)i).ToArray();
    private static readonly Id32 Common = Id32.From(Enumerable.Repeat((byte)0x42, 32).ToArray());

    public static bool IsServeMode(string[] args) => args.Length > 0 && args[0] == ServeMode;

    /// <summary>The child: runs the broker until its standard input closes.</summary>
    public static async Task<int> ServeAsync()
    {
        using SessionPrivateKey key = SessionPrivateKey.FromSeed(BrokerSeed);
        await using var service = new BrokerService(new BrokerServiceOptions
        {
            CommonCompartments = new CommonCompartments([Common]),
            Destinations = new DestinationCheck(SignedServerEntry.PublicKeyOf(NetworkSeed), tag => tag == "load"),
            Geo = NoGeoLookup.Instance,
            AllowBogonCandidates = true,
            ProxyAnnounceTimeout = TimeSpan.FromSeconds(30),
            ClientOfferTimeout = TimeSpan.FromSeconds(10),

            // Every peer comes from 127.0.0.1, so per-IP limits are lifted.
            Matcher = new MatcherOptions
            {
                AllowCommonAsnMatching = true,
                AnnouncementLimitEntryCount = 1_000_000,
                AnnouncementRateQuantity = 10_000_000,
                OfferLimitEntryCount = 1_000_000,
                OfferRateQuantity = 10_000_000,
            },
            Reports = new ServerReportRelayOptions { PrivateKey = key, MaxPending = 1_000_000 },
        });
        using var sessions = new ResponderSessions(new ResponderSessionsOptions { PrivateKey = key, ObfuscationSecret = ObfuscationSecret.FromBytes(BrokerSecret) });
        await using BrokerHttpHost host = await BrokerHttpHost.StartAsync(new BrokerHttpHostOptions(), service, sessions, CancellationToken.None).ConfigureAwait(false);
        Console.WriteLine($"READY {host.Address}");
        await Console.In.ReadToEndAsync().ConfigureAwait(false);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"STATS queued={service.Matcher.AnnouncementCount} offers={service.Matcher.OfferCount} pending={service.Matcher.PendingAnswerCount}"));
        return 0;
    }

    /// <summary>The parent: starts the child broker and drives it.</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        int proxies = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 2000;
        int clients = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 200;
        int seconds = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 20;

        using Process broker = StartChild();
        try
        {
            string? ready = await broker.StandardOutput.ReadLineAsync().ConfigureAwait(false);
            if (ready is null || !ready.StartsWith("READY ", StringComparison.Ordinal))
            {
                Console.Error.WriteLine($"broker did not start: {ready}");
                return 1;
            }

            var address = new Uri(ready["READY ".Length..]);
            using SessionPrivateKey brokerKey = SessionPrivateKey.FromSeed(BrokerSeed);
            var identity = new ResponderIdentity(brokerKey.PublicKey, ObfuscationSecret.FromBytes(BrokerSecret));
            return await DriveAsync(broker, address, identity, proxies, clients, seconds).ConfigureAwait(false);
        }
        finally
        {
            broker.StandardInput.Close();
            if (!broker.WaitForExit(TimeSpan.FromSeconds(10)))
            {
                broker.Kill(entireProcessTree: true);
            }
        }
    }

    private static Process StartChild()
    {
        string self = Environment.ProcessPath!;
        var start = new ProcessStartInfo(self) { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            start.ArgumentList.Add(typeof(BrokerLoadBench).Assembly.Location);
        }

        start.ArgumentList.Add(ServeMode);
        return Process.Start(start)!;
    }

    private static async Task<int> DriveAsync(Process broker, Uri address, ResponderIdentity identity, int proxies, int clients, int seconds)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(seconds + 120));
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cts.Token);
        HttpBrokerRoundTripper[] transports = Enumerable.Range(0, ((proxies + clients) / PeersPerConnection) + 1)
            .Select(_ => new HttpBrokerRoundTripper(address)).ToArray();
        using var entryKey = SessionPrivateKey.Generate();
        byte[] entry = SignedServerEntry.Sign(
            new ServerEntry
            {
                Tag = "load",
                IpAddress = "192.0.2.10",
                SessionPublicKey = entryKey.PublicKey.Ed25519.ToArray(),
                ObfuscationSecret = new byte[32],
                Capabilities = [new InproxyCapability("INPROXY-WEBRTC-OSSH", 0, 9443)],
            },
            NetworkSeed);

        var stats = new Stats();
        long peakRss = 0;
        Task sampler = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                peakRss = Math.Max(peakRss, Rss(broker.Id).Rss);
                await Task.Delay(250, CancellationToken.None).ConfigureAwait(false);
            }
        });

        Task[] proxyTasks = Enumerable.Range(0, proxies)
            .Select(i => Task.Run(() => ProxyLoopAsync(transports[i % transports.Length], identity, stats, stop.Token)))
            .ToArray();

        // Let the proxies' handshakes and first announcements land before clients start: all sent (paced), then 5 s.
        var settle = Stopwatch.StartNew();
        while (settle.Elapsed < TimeSpan.FromSeconds(60) && Volatile.Read(ref stats.Announcing) < proxies)
        {
            await Task.Delay(100).ConfigureAwait(false);
        }

        await Task.Delay(TimeSpan.FromSeconds(5)).ConfigureAwait(false);

        long rampErrors = Interlocked.Read(ref stats.Errors);
        TimeSpan cpuBefore = broker.TotalProcessorTime;
        (long rssQueued, _) = Rss(broker.Id);
        var run = Stopwatch.StartNew();
        using var measure = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        Task[] clientTasks = Enumerable.Range(0, clients)
            .Select(i => Task.Run(() => ClientLoopAsync(i, transports[(proxies + i) % transports.Length], identity, entry, stats, measure.Token, stop.Token)))
            .ToArray();
        await Task.WhenAll(clientTasks).ConfigureAwait(false);
        double elapsed = run.Elapsed.TotalSeconds;
        TimeSpan cpu = broker.TotalProcessorTime - cpuBefore;
        (long rssEnd, long hwm) = Rss(broker.Id);
        await stop.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(proxyTasks).ConfigureAwait(false);
        await sampler.ConfigureAwait(false);
        foreach (HttpBrokerRoundTripper t in transports)
        {
            t.Dispose();
        }

        double[] latencies = [.. stats.Latencies.Order()];
        static double Percentile(double[] sorted, double p) => sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)(p * sorted.Length))];
        var c = CultureInfo.InvariantCulture;
        Console.WriteLine(string.Create(c, $"peers                    {proxies} long-polling proxies, {clients} clients offering in a loop, {transports.Length} HTTP/2 connections"));
        Console.WriteLine(string.Create(c, $"proxies announcing       {Volatile.Read(ref stats.Announcing)} sent their first request before clients started (after {settle.Elapsed.TotalSeconds:F1} s; handshakes paced at 200/s)"));
        Console.WriteLine(string.Create(c, $"matches                  {stats.Matched} in {elapsed:F1} s = {stats.Matched / elapsed:F0} matches/s ({stats.NoMatch} NoMatch, {stats.Limited} Limited, {stats.Errors - rampErrors} errors; {rampErrors} more during ramp-up)"));
        Console.WriteLine(string.Create(c, $"offer→answer latency     p50 {Percentile(latencies, 0.50):F1} ms, p99 {Percentile(latencies, 0.99):F1} ms, max {(latencies.Length > 0 ? latencies[^1] : double.NaN):F1} ms ({latencies.Length} samples)"));
        Console.WriteLine(string.Create(c, $"broker RSS               {rssQueued / 1048576.0:F0} MiB with proxies queued, {rssEnd / 1048576.0:F0} MiB at end, peak {Math.Max(peakRss, hwm) / 1048576.0:F0} MiB"));
        Console.WriteLine(string.Create(c, $"broker CPU               {cpu.TotalSeconds:F1} CPU-s during the run ({cpu.TotalSeconds / elapsed * 100:F0}% of one core; load generator shares the machine)"));
        foreach ((string kind, int count) in stats.ErrorKinds.OrderByDescending(p => p.Value).Take(10))
        {
            Console.WriteLine(string.Create(c, $"  error ×{count}: {kind}"));
        }

        return stats.Matched > 0 ? 0 : 1;
    }

    private static async Task ProxyLoopAsync(HttpBrokerRoundTripper transport, ResponderIdentity broker, Stats stats, CancellationToken stop)
    {
        using var sessions = new InitiatorSessions(new InitiatorSessionsOptions { PrivateKey = SessionPrivateKey.Generate() });
        bool counted = false;
        var backoff = new Backoff();
        while (!stop.IsCancellationRequested)
        {
            string phase = "handshake+announce";
            long started = Stopwatch.GetTimestamp();
            try
            {
                await backoff.WaitAsync(stop).ConfigureAwait(false);
                await HandshakeGate.WaitTurnAsync(sessions, broker, stop).ConfigureAwait(false);
                phase = sessions.HasSession(broker.PublicKey) ? "announce" : phase;
                started = Stopwatch.GetTimestamp();
                Task<byte[]> call = sessions.RoundTripAsync(transport, broker, CborRecords.Marshal(new ProxyAnnounceRequest { Metrics = new PeerMetrics { ProtocolVersion = 1 } }), TimeSpan.Zero, TimeSpan.FromSeconds(40), stop);

                // Counted once its first request is under way. (The session counts as established only when the broker
                // answers that first long poll, and polling for it every 50 ms from 2,000 tasks was itself enough load
                // to make this process miss handshake deadlines.)
                if (!counted)
                {
                    counted = true;
                    _ = Interlocked.Increment(ref stats.Announcing);
                }

                byte[] response = await call.ConfigureAwait(false);
                backoff.Reset();
                if (!CborRecords.TryUnmarshal(response, out ProxyAnnounceResponse? r) || !r!.IsMatch)
                {
                    continue;
                }

                phase = "answer";
                started = Stopwatch.GetTimestamp();
                string sdp = "v=0\r\na=candidate:1 1 udp 1 127.0.0.1 6000 typ host\r\n";
                _ = await sessions.RoundTripAsync(transport, broker, CborRecords.Marshal(new ProxyAnswerRequest { ConnectionId = r.ConnectionId, ProxyAnswerSdp = sdp }), TimeSpan.Zero, TimeSpan.FromSeconds(20), stop).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or SessionException or HttpRequestException or TimeoutException)
            {
                if (!stop.IsCancellationRequested)
                {
                    // Which request failed and after how long (5 s buckets) tells a late broker from a slow handshake.
                    double after = Math.Round(Stopwatch.GetElapsedTime(started).TotalSeconds / 5) * 5;
                    stats.Error(string.Create(CultureInfo.InvariantCulture, $"proxy {phase} after ~{after:F0} s"), e);
                    backoff.Failed();
                }
            }
        }
    }

    private static async Task ClientLoopAsync(int index, HttpBrokerRoundTripper transport, ResponderIdentity broker, byte[] entry, Stats stats, CancellationToken measure, CancellationToken stop)
    {
        using var sessions = new InitiatorSessions(new InitiatorSessionsOptions { PrivateKey = SessionPrivateKey.Generate() });
        bool warm = false;
        var backoff = new Backoff();
        for (int n = 0; !measure.IsCancellationRequested; n++)
        {
            try
            {
                await backoff.WaitAsync(measure).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }

            var request = new ClientOfferRequest
            {
                Metrics = new PeerMetrics { ProtocolVersion = 1 },
                CommonCompartmentIds = [Common],
                ClientOfferSdp = $"v=0\r\na=x-client:{index}.{n}\r\na=candidate:1 1 udp 1 127.0.0.1 5000 typ host\r\n",
                ClientRootObfuscationSecret = new byte[32],
                PackedDestinationServerEntry = entry,
                DestinationAddress = "192.0.2.10:9443",
            };
            long started = Stopwatch.GetTimestamp();
            try
            {
                await HandshakeGate.WaitTurnAsync(sessions, broker, stop).ConfigureAwait(false);
                byte[] response = await sessions.RoundTripAsync(transport, broker, CborRecords.Marshal(request), TimeSpan.Zero, TimeSpan.FromSeconds(15), stop).ConfigureAwait(false);
                backoff.Reset();
                double ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                if (!CborRecords.TryUnmarshal(response, out ClientOfferResponse? r))
                {
                    stats.Error("client", new FormatException("undecodable response"));
                }
                else if (r!.Limited)
                {
                    _ = Interlocked.Increment(ref stats.Limited);
                }
                else if (r.NoMatch || string.IsNullOrEmpty(r.ProxyAnswerSdp))
                {
                    _ = Interlocked.Increment(ref stats.NoMatch);
                }
                else if (warm)
                {
                    _ = Interlocked.Increment(ref stats.Matched);
                    lock (stats.Latencies)
                    {
                        stats.Latencies.Add(ms);
                    }
                }

                warm = true;
            }
            catch (Exception e) when (e is OperationCanceledException or SessionException or HttpRequestException or TimeoutException)
            {
                stats.Error("client", e);
                backoff.Failed();
            }
        }
    }

    private static (long Rss, long Peak) Rss(int pid)
    {
        long rss = 0;
        long peak = 0;
        foreach (string line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                rss = Kib(line);
            }
            else if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
            {
                peak = Kib(line);
            }
        }

        return (rss, peak);
        static long Kib(string line) => long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
    }

    // Real peers do not all handshake in the same second, and back off after failures (design §2.5). The generator
    // did neither: its 2,000 proxies sent their first handshake messages at once, on a loaded 2-core machine some
    // round trips missed the sessions' 10 s handshake timeout, and each failure was retried at once, feeding the
    // stampede. New handshakes are now paced (200 per second) and failures back off.
    private static class HandshakeGate
    {
        private static readonly long Interval = Stopwatch.Frequency / 200;
        private static long s_next;

        // Waits for this peer's turn to handshake; at once when it has a session.
        public static Task WaitTurnAsync(InitiatorSessions sessions, ResponderIdentity broker, CancellationToken stop)
        {
            if (sessions.HasSession(broker.PublicKey))
            {
                return Task.CompletedTask;
            }

            long now = Stopwatch.GetTimestamp();
            long turn = Interlocked.Add(ref s_next, Interval) - Interval;
            if (turn < now)
            {
                _ = Interlocked.CompareExchange(ref s_next, now + Interval, turn + Interval); // idle gate: restart from now
                return Task.CompletedTask;
            }

            return Task.Delay(Stopwatch.GetElapsedTime(now, turn), stop);
        }
    }

    // Exponential from 0.5 s to 15 s with ±50 % jitter after failures; none after successes.
    private sealed class Backoff
    {
        private int _failures;

        public void Failed() => _failures = Math.Min(_failures + 1, 6);

        public void Reset() => _failures = 0;

        public Task WaitAsync(CancellationToken stop) =>
            _failures == 0 ? Task.CompletedTask : Task.Delay(TimeSpan.FromSeconds(0.5 * (1 << (_failures - 1)) * (0.5 + Random.Shared.NextDouble())), stop);
    }

    private sealed class Stats
    {
        public readonly List<double> Latencies = [];
        public int Announcing;
        public long Matched;
        public long NoMatch;
        public long Limited;
        public long Errors;
        public System.Collections.Concurrent.ConcurrentDictionary<string, int> ErrorKinds = new();

        public void Error(string who, Exception e)
        {
            _ = Interlocked.Increment(ref Errors);
            _ = ErrorKinds.AddOrUpdate($"{who} {e.GetType().Name}: {e.Message} ({e.InnerException?.GetType().Name}: {e.InnerException?.Message})", 1, (_, n) => n + 1);
        }
    }
}
