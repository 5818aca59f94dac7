using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using Inroad.WebRtc.DataChannels;
using Inroad.WebRtc.Transport;

namespace Inroad.Benchmarks.Sctp;

/// <summary>
/// Bulk throughput of one reliable, ordered data channel between two of our SCTP associations in this
/// process: over loopback UDP (no DTLS) and over the in-memory link. One operation moves 32 MiB one way
/// through the <see cref="Stream"/> view in 64 KiB writes. MB/s = 32 MiB / mean time. CPU per MB (both
/// peers together) is printed at the end of each case.
/// </summary>
[MemoryDiagnoser]
public class DataChannelThroughputBenchmarks
{
    private const int Total = 32 * 1024 * 1024;
    private readonly byte[] _chunk = new byte[64 * 1024];
    private IDatagramTransport? _ta;
    private IDatagramTransport? _tb;
    private DataChannelSession? _a;
    private DataChannelSession? _b;
    private Stream? _writer;
    private Stream? _reader;
    private TimeSpan _cpuStart;
    private long _bytes;

    [Params("udp", "memory")]
    public string Transport { get; set; } = "udp";

    [Params(1200, 8192)]
    public int Mtu { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        if (Transport == "udp")
        {
            (_ta, _tb) = UdpLoopbackTransport.CreatePair();
        }
        else
        {
            (_ta, _tb) = InMemoryDatagramLink.CreatePair(maxDatagramSize: 65507);
        }

        var sctp = new Inroad.WebRtc.Sctp.SctpOptions { Mtu = Mtu };
        _a = new DataChannelSession(_ta, new DataChannelSessionOptions { IsDtlsClient = true, Sctp = sctp });
        _b = new DataChannelSession(_tb, new DataChannelSessionOptions { IsDtlsClient = false, Sctp = sctp });
        Task.WhenAll(_a.StartAsync(), _b.StartAsync()).GetAwaiter().GetResult();
        DataChannel channel = _a.OpenChannelAsync(new DataChannelOptions { Label = "bench" }).GetAwaiter().GetResult();
        DataChannel accepted = _b.AcceptChannelAsync().AsTask().GetAwaiter().GetResult();
        _writer = channel.AsStream();
        _reader = accepted.AsStream();
        _cpuStart = Process.GetCurrentProcess().TotalProcessorTime;
    }

    [Benchmark]
    public async Task Transfer32MiB()
    {
        Task<long> read = ReadAsync();
        for (int sent = 0; sent < Total; sent += _chunk.Length)
        {
            await _writer!.WriteAsync(_chunk);
        }

        long got = await read;
        _bytes += got;
    }

    private async Task<long> ReadAsync()
    {
        byte[] buffer = new byte[64 * 1024];
        long got = 0;
        while (got < Total)
        {
            int n = await _reader!.ReadAsync(buffer);
            if (n == 0)
            {
                throw new InvalidOperationException("channel closed early");
            }

            got += n;
        }

        return got;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        TimeSpan cpu = Process.GetCurrentProcess().TotalProcessorTime - _cpuStart;
        var stats = _a!.GetStatisticsAsync().GetAwaiter().GetResult();
        Console.WriteLine(
            $"// {Transport} mtu {Mtu}: {_bytes / 1e6:F0} MB moved, CPU {cpu.TotalMilliseconds / (_bytes / 1e6):F2} ms per MB (both peers), " +
            $"sender packets {stats.Counters.PacketsSent}, retransmissions {stats.Counters.Retransmissions}, fast rtx {stats.Counters.FastRetransmits}, T3 {stats.Counters.T3Expirations}, srtt {stats.SmoothedRtt.TotalMilliseconds:F2} ms");
        _a.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _b!.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _ta!.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _tb!.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }
}
