using System.Diagnostics;
using System.Globalization;
using Inroad.Broker.Matching;
using Inroad.Protocol;

namespace Inroad.Benchmarks.Broker;

/// <summary>
/// <c>matcher-latency [queued…] [rounds] [opsPerRound]</c>: match latency with millions of queued announcements, timed
/// with <see cref="Stopwatch"/> instead of BenchmarkDotNet so every figure rests on hundreds of thousands of
/// matches. Per round: a batch of offers is matched back to back (one clock read per batch ⇒ the mean without
/// timer overhead), then the same number matched one at a time with a clock read around each
/// <see cref="Matcher.Offer"/> (⇒ p50/p99); each matched announcement is replaced by a fresh one (timed apart:
/// the insert rate) so the depth stays constant. Tickets are built before the timed region (they are the
/// caller's); what the matcher allocates per match, GC counts in the timed regions, the machine load before and
/// after, and the process's CPU share of the wall time (below ~100 % ⇒ the thread was preempted) are printed.
/// </summary>
internal static class MatcherLatencyBench
{
    public static int Run(string[] args)
    {
        var queued = new List<int>();
        int rounds = 20;
        int ops = 20_000;
        foreach (string arg in args)
        {
            if (arg.StartsWith("rounds=", StringComparison.Ordinal))
            {
                rounds = int.Parse(arg.AsSpan(7), CultureInfo.InvariantCulture);
            }
            else if (arg.StartsWith("ops=", StringComparison.Ordinal))
            {
                ops = int.Parse(arg.AsSpan(4), CultureInfo.InvariantCulture);
            }
            else
            {
                queued.Add(int.Parse(arg, CultureInfo.InvariantCulture));
            }
        }

        if (queued.Count == 0)
        {
            queued.AddRange([1_000_000, 5_000_000]);
        }

        Console.WriteLine($"matcher-latency: {rounds} rounds × {ops:N0} batched + {ops:N0} individually timed matches per depth; server GC={System.Runtime.GCSettings.IsServerGC}, load {LoadAverage()}");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"reference: one dependent random read costs {ChaseNs(1 << 20):F0} ns in 8 MiB, {ChaseNs(32 << 20):F0} ns in 256 MiB (this machine's cache/TLB miss price)"));
        foreach (int depth in queued)
        {
            RunDepth(depth, rounds, ops);
        }

        return 0;
    }

    private static void RunDepth(int depth, int rounds, int ops)
    {
        Matcher matcher = MatcherBenchmarks.NewMatcher();
        long now = 1_000;
        // The fill is timed twice: the matcher's inserts alone (tickets are the caller's, built per chunk before the
        // clock starts) and the whole fill with the ticket construction and the GC work of a million live tickets.
        long fill = Stopwatch.GetTimestamp();
        long insertOnly = 0;
        int next = 0;
        var chunk = new AnnouncementTicket[65_536];
        while (next < depth)
        {
            int n = Math.Min(chunk.Length, depth - next);
            for (int i = 0; i < n; i++)
            {
                chunk[i] = MatcherBenchmarks.NewAnnouncement(next + i, now);
            }

            long t0 = Stopwatch.GetTimestamp();
            for (int i = 0; i < n; i++)
            {
                _ = matcher.Announce(chunk[i], now);
            }

            insertOnly += Stopwatch.GetTimestamp() - t0;
            next += n;
        }

        Array.Clear(chunk);
        TimeSpan fillTime = Stopwatch.GetElapsedTime(fill);
        double insertOnlySeconds = insertOnly / (double)Stopwatch.Frequency;
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        string loadBefore = LoadAverage();

        var single = new long[rounds * ops];
        var batchNs = new double[rounds];
        long allocated = 0;
        long matched = 0;
        long insertTicks = 0;
        int gc0 = GC.CollectionCount(0), gc1 = GC.CollectionCount(1), gc2 = GC.CollectionCount(2);
        TimeSpan cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
        long wall0 = Stopwatch.GetTimestamp();
        long timedTicks = 0;
        var offers = new OfferTicket[ops];
        var refills = new AnnouncementTicket[ops];
        for (int round = -1; round < rounds; round++) // round -1 warms up (tiered JIT, caches)
        {
            // Batched: one clock read per batch.
            Prepare(offers, refills, ref next, now);
            long bytes = GC.GetAllocatedBytesForCurrentThread();
            long start = Stopwatch.GetTimestamp();
            for (int i = 0; i < ops; i++)
            {
                _ = matcher.Offer(offers[i], now);
            }

            long elapsed = Stopwatch.GetTimestamp() - start;
            long roundAllocated = GC.GetAllocatedBytesForCurrentThread() - bytes;
            matched += Settle(matcher, offers, refills, now, ref insertTicks, round >= 0);
            if (round >= 0)
            {
                batchNs[round] = elapsed * 1e9 / Stopwatch.Frequency / ops;
                allocated += roundAllocated;
                timedTicks += elapsed;
            }

            // Individually timed.
            Prepare(offers, refills, ref next, now);
            for (int i = 0; i < ops; i++)
            {
                long t0 = Stopwatch.GetTimestamp();
                _ = matcher.Offer(offers[i], now);
                long t1 = Stopwatch.GetTimestamp();
                if (round >= 0)
                {
                    single[(round * ops) + i] = t1 - t0;
                    timedTicks += t1 - t0;
                }
            }

            matched += Settle(matcher, offers, refills, now, ref insertTicks, round >= 0);
        }

        double wall = Stopwatch.GetElapsedTime(wall0).TotalSeconds;
        double cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalSeconds;
        int dgc0 = GC.CollectionCount(0) - gc0, dgc1 = GC.CollectionCount(1) - gc1, dgc2 = GC.CollectionCount(2) - gc2;
        Array.Sort(single);
        Array.Sort(batchNs);
        double Ns(long ticks) => ticks * 1e9 / Stopwatch.Frequency;
        double P(double q) => Ns(single[Math.Min(single.Length - 1, (int)(q * single.Length))]);
        long timerOverhead = TimerOverhead();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"""
            {depth:N0} queued: the matcher's inserts took {insertOnlySeconds:F2} s = {insertOnlySeconds * 1e9 / depth:F0} ns per announcement ({depth / insertOnlySeconds / 1e6:F2} M/s); the whole fill with ticket construction {fillTime.TotalSeconds:F2} s; queue depth after: {matcher.AnnouncementCount:N0}, matched {matched:N0}/{2L * (rounds + 1) * ops:N0}
              batched mean per match: median of {rounds} rounds {batchNs[rounds / 2]:F0} ns (min {batchNs[0]:F0}, max {batchNs[^1]:F0})
              single match: p50 {P(0.50):F0} ns, p90 {P(0.90):F0} ns, p99 {P(0.99):F0} ns, p99.9 {P(0.999):F0} ns, max {Ns(single[^1]) / 1000:F1} µs (includes ~{Ns(timerOverhead):F0} ns clock read)
              re-announce (insert) mean {Ns(insertTicks) / (rounds * 2L * ops):F0} ns
              matcher allocation per match {allocated / (double)(rounds * ops):F1} B; GCs during the run gen0 {dgc0} gen1 {dgc1} gen2 {dgc2}; process CPU {cpu / wall * 100:F0} % of wall ({wall:F1} s)
              load before {loadBefore}, after {LoadAverage()}
            """));
        GC.KeepAlive(matcher);
    }

    private static void Prepare(OfferTicket[] offers, AnnouncementTicket[] refills, ref int next, long now)
    {
        for (int i = 0; i < offers.Length; i++)
        {
            offers[i] = MatcherBenchmarks.NewOffer(next, now);
            refills[i] = MatcherBenchmarks.NewAnnouncement(next++, now);
        }
    }

    // Forgets the pending answers (the proxies "answered") and refills the queue; returns the matches made.
    private static int Settle(Matcher matcher, OfferTicket[] offers, AnnouncementTicket[] refills, long now, ref long insertTicks, bool timed)
    {
        int matched = 0;
        foreach (OfferTicket offer in offers)
        {
            if (offer.IsCompleted && offer.Result is { } match)
            {
                matched++;
                _ = matcher.RemovePendingAnswer(match.ConnectionId);
            }
            else
            {
                _ = matcher.CancelOffer(offer);
            }
        }

        long start = Stopwatch.GetTimestamp();
        foreach (AnnouncementTicket refill in refills)
        {
            _ = matcher.Announce(refill, now);
        }

        if (timed)
        {
            insertTicks += Stopwatch.GetTimestamp() - start;
        }

        return matched;
    }

    // Pointer chase through a random cycle over `count` longs: the price of one dependent cache + TLB miss.
    private static double ChaseNs(int count)
    {
        var next = new long[count];
        var order = Enumerable.Range(0, count).ToArray();
        new Random(1).Shuffle(order);
        for (int i = 0; i < count; i++)
        {
            next[order[i]] = order[(i + 1) % count];
        }

        const int Steps = 2_000_000;
        long at = 0;
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < Steps; i++)
        {
            at = next[at];
        }

        double ns = Stopwatch.GetElapsedTime(start).TotalNanoseconds / Steps;
        GC.KeepAlive(at);
        return ns;
    }

    private static long TimerOverhead()
    {
        long min = long.MaxValue;
        for (int i = 0; i < 10_000; i++)
        {
            long t0 = Stopwatch.GetTimestamp();
            long t1 = Stopwatch.GetTimestamp();
            min = Math.Min(min, t1 - t0);
        }

        return min;
    }

    private static string LoadAverage()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "?";
        }
    }
}
