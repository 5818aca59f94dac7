using System.Net;
using System.Net.Sockets;
using BenchmarkDotNet.Attributes;
using Inroad.Proxy;

namespace Inroad.Benchmarks.Proxy;

/// <summary>
/// The proxy's relay hop alone (no WebRTC): 4 MiB written into one loopback TCP connection, relayed by
/// <see cref="ProxyRelay"/> into a second, and read at the far end — against the same 4 MiB over one
/// connection (<c>Direct</c>, the baseline). The difference is what the relay's copy loops, byte counters
/// and inactivity timer cost per MiB; the WebRTC hop has its own benchmark (DataChannelThroughputBenchmarks).
/// </summary>
[MemoryDiagnoser]
public class ProxyRelayBenchmarks
{
    private const int Size = 4 << 20;

    private readonly byte[] _payload = new byte[Size];
    private readonly byte[] _sink = new byte[64 * 1024];
    private (NetworkStream Near, NetworkStream Far) _direct;
    private (NetworkStream Near, NetworkStream Far) _client;
    private (NetworkStream Near, NetworkStream Far) _destination;
    private CancellationTokenSource _stop = null!;
    private Task<RelayEnd> _relay = null!;

    [GlobalSetup]
    public void Setup()
    {
        new Random(1).NextBytes(_payload);
        _direct = Pair();
        _client = Pair();
        _destination = Pair();
        _stop = new CancellationTokenSource();

        // client.Far is the proxy's side of the client; destination.Near the proxy's side of the destination.
        _relay = ProxyRelay.RunAsync(_client.Far, _destination.Near, new NoCounters(), 0, 0, TimeSpan.FromMinutes(5), TimeProvider.System, _stop.Token);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _stop.Cancel();
        _ = _relay.Wait(TimeSpan.FromSeconds(5));
        foreach (NetworkStream s in new[] { _direct.Near, _direct.Far, _client.Near, _client.Far, _destination.Near, _destination.Far })
        {
            s.Dispose();
        }

        _stop.Dispose();
    }

    /// <summary>4 MiB over one loopback connection.</summary>
    [Benchmark(Baseline = true)]
    public Task Direct() => MoveAsync(_direct.Near, _direct.Far);

    /// <summary>4 MiB through the proxy relay (two loopback connections and the copy loop between them).</summary>
    [Benchmark]
    public Task Relayed() => MoveAsync(_client.Near, _destination.Far);

    private async Task MoveAsync(NetworkStream from, NetworkStream to)
    {
        Task write = from.WriteAsync(_payload).AsTask();
        int left = Size;
        while (left > 0)
        {
            left -= await to.ReadAsync(_sink.AsMemory(0, Math.Min(left, _sink.Length)));
        }

        await write;
    }

    private static (NetworkStream Near, NetworkStream Far) Pair()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var near = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        near.Connect(listener.LocalEndPoint!);
        Socket far = listener.Accept();
        far.NoDelay = true;
        return (new NetworkStream(near, ownsSocket: true), new NetworkStream(far, ownsSocket: true));
    }

    private sealed class NoCounters : IRelayCounters
    {
        public void AddUp(long bytes)
        {
        }

        public void AddDown(long bytes)
        {
        }
    }
}
