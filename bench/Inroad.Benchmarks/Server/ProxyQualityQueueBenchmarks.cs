using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using Inroad.Broker.Quality;
using Inroad.Server.Quality;
using Id32 = Inroad.Protocol.Id32;

namespace Inroad.Benchmarks.Server;

/// <summary>
/// The tunnel server's proxy quality queue: 1 M distinct proxy keys (one client ASN each, the common case) queued,
/// then drained in requests. Allocated bytes per operation ≈ memory per queued key (including the dictionary and
/// queue growth), which is what the 5 M-key bound costs.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(RunStrategy.Monitoring, warmupCount: 1, iterationCount: 5)]
public class ProxyQualityQueueBenchmarks
{
    private const int Count = 1_000_000;
    private ProxyQualityKey[] _keys = [];
    private ProxyQualityQueue _queue = null!;

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(7);
        byte[] id = new byte[32];
        _keys = new ProxyQualityKey[Count];
        for (int i = 0; i < Count; i++)
        {
            random.NextBytes(id);
            _keys[i] = new ProxyQualityKey(Id32.From(id), (uint)random.Next(1, 400_000));
        }
    }

    [IterationSetup(Target = nameof(Drain1M))]
    public void Fill()
    {
        _queue = new ProxyQualityQueue(5_000_000, 100);
        foreach (ProxyQualityKey key in _keys)
        {
            _ = _queue.Add(key, 64_500);
        }
    }

    /// <summary>1 M keys queued (per key: time and bytes).</summary>
    [Benchmark(OperationsPerInvoke = Count)]
    public int Queue1M()
    {
        var queue = new ProxyQualityQueue(5_000_000, 100);
        foreach (ProxyQualityKey key in _keys)
        {
            _ = queue.Add(key, 64_500);
        }

        return queue.Count;
    }

    /// <summary>1 M queued keys drained into 1,000-key requests (per key).</summary>
    [Benchmark(OperationsPerInvoke = Count)]
    public int Drain1M()
    {
        int keys = 0;
        while (_queue.TakeBatch(1_000) is { } batch)
        {
            keys += batch.QualityCounts.Count;
        }

        return keys;
    }
}
