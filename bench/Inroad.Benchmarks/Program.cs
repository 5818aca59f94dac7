using BenchmarkDotNet.Running;
using Inroad.Benchmarks.Broker;
using Inroad.Benchmarks.EndToEnd;
using Inroad.Benchmarks.Lab;
using Inroad.Benchmarks.WebRtc;

namespace Inroad.Benchmarks;

/// <summary>
/// Runs the benchmarks chosen with <c>--filter</c>; one folder per layer. <c>e2e [MiB]</c> instead runs the
/// whole-path throughput bench (not a BenchmarkDotNet job: it moves real bytes through every role);
/// <c>broker-load [proxies] [clients] [seconds]</c> drives a real broker over HTTP/2 (see <see cref="BrokerLoadBench"/>);
/// <c>matcher-latency [queued…] [rounds=N] [ops=N]</c> times matches one by one (see <see cref="MatcherLatencyBench"/>);
/// <c>lab-datachannel [MiB] [profiles] [pairs]</c> (root) measures one data channel across impaired lab links, ours and
/// Chromium's (see <see cref="LabDataChannelBench"/>);
/// <c>peer-throughput [MiB] [--one-process] [--fallback]</c> moves bulk data between two of our peers over loopback (see <see cref="PeerThroughputBench"/>).
/// </summary>
internal static class Program
{
    private static async Task<int> Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "e2e")
        {
            return await EndToEndBench.RunAsync(args[1..]).ConfigureAwait(false);
        }

        if (args.Length > 0 && args[0] == "matcher-latency")
        {
            return MatcherLatencyBench.Run(args[1..]);
        }

        if (args.Length > 0 && args[0] == "lab-datachannel")
        {
            return await LabDataChannelBench.RunAsync(args[1..]).ConfigureAwait(false);
        }

        if (args.Length > 0 && args[0] == "lab-peer")
        {
            return await LabPeer.RunAsync(args[1..]).ConfigureAwait(false);
        }

        if (BrokerLoadBench.IsServeMode(args))
        {
            return await BrokerLoadBench.ServeAsync().ConfigureAwait(false);
        }

        if (PeerThroughputBench.IsServeMode(args))
        {
            return await PeerThroughputBench.ServeAsync().ConfigureAwait(false);
        }

        if (args.Length > 0 && args[0] == "peer-throughput")
        {
            return await PeerThroughputBench.RunAsync(args[1..]).ConfigureAwait(false);
        }

        if (args.Length > 0 && args[0] == "broker-load")
        {
            return await BrokerLoadBench.RunAsync(args[1..]).ConfigureAwait(false);
        }

        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }
}
