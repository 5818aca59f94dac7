using System.Diagnostics;
using System.Globalization;
using System.Net;
using Inroad.WebRtc.Dtls;
using Inroad.WebRtc.PeerConnection;

namespace Inroad.Benchmarks.WebRtc;

/// <summary>
/// <c>peer-throughput [MiB] [--one-process] [--fallback]</c>: bulk throughput of one reliable, ordered data channel between
/// two of our <see cref="RtcPeerConnection"/>s over real loopback UDP with ICE, DTLS 1.2 (AES-128-GCM,
/// Chromium profile) and SCTP at its default 1200-byte MTU. The receiving peer (the answerer) runs in a child
/// process so each side's CPU time is its own; SDP goes over the child's standard input and output. Prints
/// MB/s of user payload, CPU-s per GB for each side, system calls and datagrams per MB, and SACKs per DATA packet.
/// Not a BenchmarkDotNet job: it moves real bytes through every layer of the data path.
/// </summary>
internal static class PeerThroughputBench
{
    private const string ServeMode = "peer-throughput-serve";
    private const int Chunk = 64 * 1024;

    public static bool IsServeMode(string[] args) => args.Length > 0 && args[0] == ServeMode;

    private static bool _fallback;

    private static RtcPeerOptions Options() => new()
    {
        DisableDatapathOffloads = _fallback,
        IncludeLoopback = true,
        HostAddresses = [IPAddress.Loopback],
        ProfileChoice = new DtlsProfileChoice { Allowed = [DtlsProfileKind.Chromium], RandomizedProbability = 0 },
        ConnectTimeout = TimeSpan.FromSeconds(30),
    };

    public static async Task<int> RunAsync(string[] args)
    {
        long mib = args.Length > 0 && long.TryParse(args[0], NumberStyles.None, CultureInfo.InvariantCulture, out long m) ? m : 256;
        bool oneProcess = args.Contains("--one-process");
        _fallback = args.Contains("--fallback");
        long total = mib << 20;
        Console.WriteLine($"peer-throughput: {mib} MiB one way, DTLS 1.2 AES-GCM, SCTP MTU 1200, {(oneProcess ? "both peers in this process" : "receiver in a child process")}{(_fallback ? ", portable socket path (no GRO/GSO, BouncyCastle records)" : "")}; load: {File.ReadAllText("/proc/loadavg").Trim()}");
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        CancellationToken ct = cts.Token;

        var (offerer, offer) = await RtcPeerConnection.CreateOfferAsync(Options(), ct).ConfigureAwait(false);
        await using (offerer.ConfigureAwait(false))
        {
            Process? child = null;
            Task<string> receiverDone;
            if (oneProcess)
            {
                var (answerer, answer) = await RtcPeerConnection.CreateAnswerAsync(Options(), offer, ct).ConfigureAwait(false);
                await Task.WhenAll(offerer.ConnectAsync(answer, ct), answerer.ConnectAsync(cancellationToken: ct)).ConfigureAwait(false);
                receiverDone = ReceiveAsync(answerer, total, ownsPeer: true, ct);
            }
            else
            {
                child = StartChild();
                await child.StandardInput.WriteLineAsync(_fallback ? "fallback" : "offloads").ConfigureAwait(false);
                await child.StandardInput.WriteLineAsync(Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(offer))).ConfigureAwait(false);
                await child.StandardInput.WriteLineAsync(total.ToString(CultureInfo.InvariantCulture)).ConfigureAwait(false);
                await child.StandardInput.FlushAsync(ct).ConfigureAwait(false);
                string answerLine = await child.StandardOutput.ReadLineAsync(ct).ConfigureAwait(false) ?? throw new InvalidOperationException("the child gave no answer");
                await offerer.ConnectAsync(System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(answerLine)), ct).ConfigureAwait(false);
                Process c = child;
                receiverDone = Task.Run(async () => await c.StandardOutput.ReadLineAsync(ct).ConfigureAwait(false) ?? throw new InvalidOperationException("the child ended early"), ct);
            }

            try
            {
                Stream stream = await offerer.OpenStreamAsync("bench", ct).ConfigureAwait(false);
                await using (stream.ConfigureAwait(false))
                {
                    byte[] chunk = new byte[Chunk];
                    new Random(7).NextBytes(chunk);
                    RtcPeerStatistics before = await offerer.GetStatisticsAsync().ConfigureAwait(false);
                    TimeSpan cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
                    long t0 = Stopwatch.GetTimestamp();
                    for (long sent = 0; sent < total; sent += Chunk)
                    {
                        await stream.WriteAsync(chunk, ct).ConfigureAwait(false);
                    }

                    string done = await receiverDone.ConfigureAwait(false);
                    TimeSpan wall = Stopwatch.GetElapsedTime(t0);
                    TimeSpan cpu = Process.GetCurrentProcess().TotalProcessorTime - cpu0;
                    RtcPeerStatistics after = await offerer.GetStatisticsAsync().ConfigureAwait(false);
                    Report(total, wall, cpu, before, after, done, oneProcess);
                }
            }
            finally
            {
                if (child is not null)
                {
                    child.StandardInput.Close();
                    if (!child.WaitForExit(10_000))
                    {
                        child.Kill();
                    }

                    child.Dispose();
                }
            }
        }

        return 0;
    }

    /// <summary>The child: answers the offer read from standard input, receives, prints one result line.</summary>
    public static async Task<int> ServeAsync()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        CancellationToken ct = cts.Token;
        _fallback = Console.ReadLine() == "fallback";
        string offer = System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(Console.ReadLine()!));
        long total = long.Parse(Console.ReadLine()!, CultureInfo.InvariantCulture);
        var (answerer, answer) = await RtcPeerConnection.CreateAnswerAsync(Options(), offer, ct).ConfigureAwait(false);
        Console.WriteLine(Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(answer)));
        await answerer.ConnectAsync(cancellationToken: ct).ConfigureAwait(false);
        string line = await ReceiveAsync(answerer, total, ownsPeer: true, ct).ConfigureAwait(false);
        Console.WriteLine(line);
        _ = Console.ReadLine(); // the parent closes standard input when it is done
        return 0;
    }

    private static async Task<string> ReceiveAsync(RtcPeerConnection answerer, long total, bool ownsPeer, CancellationToken ct)
    {
        try
        {
            var (stream, _) = await answerer.AcceptStreamAsync(ct).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            {
                RtcPeerStatistics before = await answerer.GetStatisticsAsync().ConfigureAwait(false);
                TimeSpan cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
                byte[] buffer = new byte[Chunk];
                long got = 0;
                while (got < total)
                {
                    int n = await stream.ReadAsync(buffer, ct).ConfigureAwait(false);
                    if (n == 0)
                    {
                        throw new InvalidOperationException("the channel closed early");
                    }

                    got += n;
                }

                TimeSpan cpu = Process.GetCurrentProcess().TotalProcessorTime - cpu0;
                RtcPeerStatistics s = await answerer.GetStatisticsAsync().ConfigureAwait(false);
                return string.Join(' ', new[]
                {
                    "done", cpu.TotalMilliseconds.ToString("F0", CultureInfo.InvariantCulture),
                    (s.SocketSendCalls - before.SocketSendCalls).ToString(CultureInfo.InvariantCulture),
                    (s.SocketDatagramsSent - before.SocketDatagramsSent).ToString(CultureInfo.InvariantCulture),
                    (s.SocketReceiveCalls - before.SocketReceiveCalls).ToString(CultureInfo.InvariantCulture),
                    (s.SocketDatagramsReceived - before.SocketDatagramsReceived).ToString(CultureInfo.InvariantCulture),
                    (s.SacksSent - before.SacksSent).ToString(CultureInfo.InvariantCulture),
                    (s.DataPacketsReceived - before.DataPacketsReceived).ToString(CultureInfo.InvariantCulture),
                    s.DroppedDatagrams.ToString(CultureInfo.InvariantCulture),
                });
            }
        }
        finally
        {
            if (ownsPeer)
            {
                await answerer.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private static void Report(long total, TimeSpan wall, TimeSpan cpu, RtcPeerStatistics before, RtcPeerStatistics after, string done, bool oneProcess)
    {
        string[] f = done.Split(' ');
        double mb = total / 1e6;
        double rxCpu = double.Parse(f[1], CultureInfo.InvariantCulture) / 1000;
        long rxSendCalls = long.Parse(f[2], CultureInfo.InvariantCulture);
        long rxSent = long.Parse(f[3], CultureInfo.InvariantCulture);
        long rxRecvCalls = long.Parse(f[4], CultureInfo.InvariantCulture);
        long rxReceived = long.Parse(f[5], CultureInfo.InvariantCulture);
        long sacks = long.Parse(f[6], CultureInfo.InvariantCulture);
        long dataPackets = long.Parse(f[7], CultureInfo.InvariantCulture);
        long txSendCalls = after.SocketSendCalls - before.SocketSendCalls;
        long txSent = after.SocketDatagramsSent - before.SocketDatagramsSent;
        long txRecvCalls = after.SocketReceiveCalls - before.SocketReceiveCalls;
        long txReceived = after.SocketDatagramsReceived - before.SocketDatagramsReceived;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {mb / wall.TotalSeconds:F1} MB/s ({mb * 8 / 1000 / wall.TotalSeconds:F2} Gbit/s) of user payload, {total >> 20} MiB in {wall.TotalSeconds:F2} s"));
        if (oneProcess)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  CPU both peers {cpu.TotalSeconds / mb * 1000:F2} CPU-s/GB"));
        }
        else
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  CPU sender {cpu.TotalSeconds / mb * 1000:F2} CPU-s/GB, receiver {rxCpu / mb * 1000:F2} CPU-s/GB"));
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  sender:   {txSendCalls / mb:F0} send calls/MB carrying {txSent / mb:F0} datagrams/MB; {txRecvCalls / mb:F0} receive calls/MB for {txReceived / mb:F0} datagrams/MB"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  receiver: {rxRecvCalls / mb:F0} receive calls/MB for {rxReceived / mb:F0} datagrams/MB; {rxSendCalls / mb:F0} send calls/MB carrying {rxSent / mb:F0} datagrams/MB"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  SACKs per DATA packet {(dataPackets == 0 ? 0 : (double)sacks / dataPackets):F3} ({sacks} / {dataPackets}); sender retransmissions {after.Retransmissions - before.Retransmissions}; receiver drops {f[8]}; sender cwnd {after.CongestionWindow / 1024} KiB, srtt {after.SmoothedRtt.TotalMilliseconds:F2} ms"));
    }

    private static Process StartChild()
    {
        string self = Environment.ProcessPath!;
        var start = new ProcessStartInfo(self) { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            start.ArgumentList.Add(typeof(PeerThroughputBench).Assembly.Location);
        }

        start.ArgumentList.Add(ServeMode);
        return Process.Start(start)!;
    }
}
