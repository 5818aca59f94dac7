using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using Inroad.Broker.Matching;

namespace Inroad.Benchmarks.Broker;

/// <summary>Inserting 1 M announcements (each from its own IP) into an empty matcher; tickets are built beforehand.</summary>
[MemoryDiagnoser]
[SimpleJob(RunStrategy.Monitoring, warmupCount: 1, iterationCount: 5)]
public class MatcherInsertBenchmarks
{
    private const int Count = 1_000_000;
    private AnnouncementTicket[] _tickets = [];
    private Matcher _matcher = null!;

    [IterationSetup]
    public void Setup()
    {
        _tickets = new AnnouncementTicket[Count];
        for (int i = 0; i < Count; i++)
        {
            _tickets[i] = MatcherBenchmarks.NewAnnouncement(i, 1_000);
        }

        _matcher = MatcherBenchmarks.NewMatcher();
    }

    /// <summary>1 M announcements queued.</summary>
    [Benchmark(OperationsPerInvoke = Count)]
    public int Insert1M()
    {
        for (int i = 0; i < _tickets.Length; i++)
        {
            _ = _matcher.Announce(_tickets[i], 1_000);
        }

        return _matcher.AnnouncementCount;
    }
}
