using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Inroad.Testing;
using Inroad.Testing.Browser;
using Inroad.Testing.NetLab;

namespace Inroad.Benchmarks.Lab;

/// <summary>
/// <c>lab-datachannel [MiB] [profiles] [pairs]</c> (root): bulk throughput of one reliable data channel across a
/// lab link, sender in the lab's <c>client</c> namespace (198.18.1.10), receiver in <c>server</c> (203.0.113.30),
/// routed by <c>natA</c> (full-cone NAT) whose <c>eth0</c> carries the impairment in both directions
/// (<see cref="NfqImpairer"/>: fixed delay, seeded loss). For each link profile it runs, in one lab, ours→ours,
/// ours→Chromium, Chromium→ours and Chromium→Chromium (headless Chromium pages in the two namespaces), and prints
/// MB/s and CPU-s per GB for each side over the measured bytes, which follow a 1 MiB warm-up (ours: the peer's child
/// process; Chromium: its whole process tree; both from /proc, from the receiver's warm-up mark to its last byte) and the ratio to
/// Chromium→Chromium. Before the profiles it measures what the impaired link itself carries (UDP blast) so the
/// impairer is shown not to be the bottleneck. Prints a skip line (exit 0) without root or lab packages.
/// </summary>
internal static class LabDataChannelBench
{
    private static readonly (string Name, int DelayMs, double LossPercent)[] AllProfiles =
        [("plain", 0, 0), ("rtt20", 10, 0), ("loss1", 0, 1), ("rtt20+loss1", 10, 1)];

    /// <summary>Bytes sent before the measured ones (handshake, JIT and the first slow start stay out of the figures).</summary>
    private const long Warm = 1 << 20;

    private static readonly string[] AllPairs = ["ours>ours", "ours>chromium", "chromium>ours", "chromium>chromium"];

    public static async Task<int> RunAsync(string[] args)
    {
        int mebibytes = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 16;
        string[] profiles = args.Length > 1 ? args[1].Split(',') : [.. AllProfiles.Select(p => p.Name)];
        string[] pairs = args.Length > 2 ? args[2].Split(',') : AllPairs;
        if (Missing() is { } missing)
        {
            Console.WriteLine("lab-datachannel: skipped: " + missing);
            return 0;
        }

        string? chromium = Which("chromium");
        if (chromium is null)
        {
            Console.WriteLine("lab-datachannel: chromium not installed (scripts/install-prereqs.sh): Chromium pairs skipped");
            pairs = [.. pairs.Where(p => !p.Contains("chromium", StringComparison.Ordinal))];
        }

        long bytes = mebibytes * 1024L * 1024L;
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(60));
        CancellationToken ct = cts.Token;
        await using NetLab lab = await NetLab.CreateAsync(new NetLabTopology { NatA = NatBehavior.FullCone, Stun = false }, ct);
        Console.WriteLine($"lab {lab.Prefix}: sender client 198.18.1.10 → natA (full cone, impaired eth0 both ways) → server 203.0.113.30; {mebibytes} MiB one way per run; load {Load()}");
        Console.WriteLine("impairer capacity (UDP blast of 1200-byte datagrams client → server, 1.5 s per rate):");
        await CapacityAsync(lab, null, ct);
        await using (NfqImpairer probe = await NfqImpairer.StartAsync(lab, NetLabHosts.NatA, "eth0", 10, 0, 1, ct))
        {
            await CapacityAsync(lab, probe, ct);
        }

        var rows = new List<Row>();
        foreach (var profile in AllProfiles.Where(p => profiles.Contains(p.Name)))
        {
            NfqImpairer? impairer = profile.DelayMs > 0 || profile.LossPercent > 0
                ? await NfqImpairer.StartAsync(lab, NetLabHosts.NatA, "eth0", profile.DelayMs, profile.LossPercent, 7, ct)
                : null;
            try
            {
                foreach (string pair in pairs)
                {
                    double impairerCpu = impairer?.CpuSeconds ?? 0;
                    Row row;
                    try
                    {
                        row = await RunPairAsync(lab, chromium, profile.Name, pair, bytes, ct);
                    }
                    catch (Exception e) when (e is InvalidOperationException or TimeoutException or OperationCanceledException or IOException)
                    {
                        Console.WriteLine($"{profile.Name} {pair} failed: {e.Message}");
                        row = new Row(profile.Name, pair, 0, 0, 0, 0, e.Message.Split('\n')[0]);
                    }

                    row = row with { ImpairerCpu = (impairer?.CpuSeconds ?? 0) - impairerCpu };
                    rows.Add(row);
                    Console.WriteLine(row.Format(bytes) + (impairer is null ? "" : $"   [{impairer}]") + $"   load {Load()}");
                }
            }
            finally
            {
                if (impairer is not null)
                {
                    await impairer.DisposeAsync();
                }
            }
        }

        Console.WriteLine();
        Console.WriteLine("profile       pair                   MB/s   Mbit/s  sender CPU-s/GB  receiver CPU-s/GB  vs chromium>chromium");
        foreach (Row r in rows)
        {
            Row? reference = rows.FirstOrDefault(x => x.Profile == r.Profile && x.Pair == "chromium>chromium" && x.Seconds > 0);
            string ratio = reference is null || r.Seconds <= 0 ? "" : string.Create(CultureInfo.InvariantCulture, $"{reference.Seconds / r.Seconds:F2}×");
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{r.Profile,-13} {r.Pair,-18} {Rate(r, bytes),8:F2} {Rate(r, bytes) * 8,8:F1} {PerGb(r.SenderCpu, bytes),16:F1} {PerGb(r.ReceiverCpu, bytes),18:F1}  {ratio}{(r.Error is null ? "" : "  FAILED: " + r.Error)}"));
        }

        Console.WriteLine($"load at end {Load()}");
        return 0;
    }

    private static double Rate(Row r, long bytes) => r.Seconds > 0 ? bytes / 1e6 / r.Seconds : 0;

    private static double PerGb(double cpu, long bytes) => cpu / (bytes / 1e9);

    private sealed record Row(string Profile, string Pair, double Seconds, double SenderCpu, double ReceiverCpu, double ImpairerCpu, string? Error = null)
    {
        public string Format(long bytes) => Error is not null
            ? $"{Profile,-13} {Pair,-18} FAILED: {Error}"
            : string.Create(CultureInfo.InvariantCulture, $"{Profile,-13} {Pair,-18} {Rate(this, bytes),8:F2} MB/s in {Seconds:F2} s, CPU-s/GB sender {PerGb(SenderCpu, bytes):F1} receiver {PerGb(ReceiverCpu, bytes):F1}");
    }

    private static async Task<Row> RunPairAsync(NetLab lab, string? chromium, string profile, string pair, long bytes, CancellationToken outer)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(outer);
        cts.CancelAfter(TimeSpan.FromMinutes(5));
        CancellationToken ct = cts.Token;
        string[] ends = pair.Split('>');
        bool chromiumOffers = ends[0] == "chromium";
        await using Endpoint sender = ends[0] == "ours"
            ? new OurEndpoint(lab, NetLabHosts.Client, NetLabHosts.ClientAddress, offer: true, "chromium", bytes, 0)
            : new ChromiumEndpoint(lab, chromium!, NetLabHosts.Client, offer: true, bytes, 0);
        await using Endpoint receiver = ends[1] == "ours"
            ? new OurEndpoint(lab, NetLabHosts.Server, NetLabHosts.ServerAddress, offer: false, chromiumOffers ? "firefox12" : "chromium", 0, bytes)
            : new ChromiumEndpoint(lab, chromium!, NetLabHosts.Server, offer: false, 0, bytes);
        long[] udpBefore = [.. await UdpErrorsAsync(lab, NetLabHosts.Client, ct), .. await UdpErrorsAsync(lab, NetLabHosts.Server, ct)];
        string offer = await sender.LocalAsync(ct);
        await receiver.RemoteAsync(offer);
        string answer = await receiver.LocalAsync(ct);
        await sender.RemoteAsync(answer);
        await receiver.WarmAsync(ct);
        double senderCpu = sender.Cpu(), receiverCpu = receiver.Cpu();
        double seconds = await receiver.ReceivedSecondsAsync(bytes, ct);
        var row = new Row(profile, pair, seconds, sender.Cpu() - senderCpu, receiver.Cpu() - receiverCpu, 0);
        long[] udpAfter = [.. await UdpErrorsAsync(lab, NetLabHosts.Client, ct), .. await UdpErrorsAsync(lab, NetLabHosts.Server, ct)];
        Console.WriteLine($"    UDP buffer errors during the run: sender rcvbuf {udpAfter[0] - udpBefore[0]} sndbuf {udpAfter[1] - udpBefore[1]}, receiver rcvbuf {udpAfter[2] - udpBefore[2]} sndbuf {udpAfter[3] - udpBefore[3]}");
        return row;
    }

    private abstract class Endpoint : IAsyncDisposable
    {
        public abstract Task<string> LocalAsync(CancellationToken ct);

        public abstract Task RemoteAsync(string sdp);

        public abstract double Cpu();

        public abstract Task WarmAsync(CancellationToken ct);

        public abstract Task<double> ReceivedSecondsAsync(long bytes, CancellationToken ct);

        public abstract ValueTask DisposeAsync();
    }

    private sealed class OurEndpoint : Endpoint
    {
        private readonly LabProcess _process;
        private readonly string _role;

        public OurEndpoint(NetLab lab, string host, IPAddress address, bool offer, string profile, long send, long receive)
        {
            _role = send > 0 ? "our sender" : "our receiver";
            List<string> command = [Environment.ProcessPath!];
            if (Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet")
            {
                command.Add(typeof(LabPeer).Assembly.Location);
            }

            command.AddRange(["lab-peer", offer ? "offer" : "answer", profile, address.ToString(),
                send.ToString(CultureInfo.InvariantCulture), receive.ToString(CultureInfo.InvariantCulture), Warm.ToString(CultureInfo.InvariantCulture)]);
            _process = lab.Start(host, command);
        }

        public override async Task<string> LocalAsync(CancellationToken ct) =>
            Encoding.UTF8.GetString(Convert.FromBase64String(await _process.WaitForLineAsync("local ", ct)));

        public override Task RemoteAsync(string sdp) => _process.WriteLineAsync("remote " + Convert.ToBase64String(Encoding.UTF8.GetBytes(sdp)));

        public override double Cpu() => ProcCpu.TreeSeconds(_process.Id);

        public override Task WarmAsync(CancellationToken ct) => _process.WaitForLineAsync("warm", ct);

        public override async Task<double> ReceivedSecondsAsync(long bytes, CancellationToken ct)
        {
            string[] f = (await _process.WaitForLineAsync("received ", ct)).Split(' ');
            return long.Parse(f[0], CultureInfo.InvariantCulture) == bytes
                ? double.Parse(f[1], CultureInfo.InvariantCulture)
                : throw new InvalidOperationException("received " + f[0] + " bytes");
        }

        public override async ValueTask DisposeAsync()
        {
            try
            {
                await _process.WriteLineAsync("stop");
            }
            catch (IOException)
            {
            }

            await _process.WaitAsync(TimeSpan.FromSeconds(5), CancellationToken.None);
            foreach (string line in _process.StandardError.Split('\n').Where(l => l.StartsWith("stats ", StringComparison.Ordinal)))
            {
                Console.WriteLine($"    {_role}: {line.TrimEnd()}");
            }

            await _process.DisposeAsync();
        }
    }

    private sealed class ChromiumEndpoint : Endpoint
    {
        private readonly BrowserHarness _browser;
        private readonly Task _ready;
        private readonly bool _offer;

        public ChromiumEndpoint(NetLab lab, string chromium, string host, bool offer, long send, long receive)
        {
            _offer = offer;

            // The page server listens on 127.0.0.1 inside the browser's namespace, where the browser then runs.
            _browser = BrowserHarness.Start(BrowserKind.Chromium, BrowserPage.Html, lab.Namespace(host));
            var parameters = new Dictionary<string, long> { ["send"] = send, ["recv"] = receive, ["warm"] = Warm, ["msg"] = 65536 };
            _ready = LaunchAsync(chromium, parameters);
        }

        public override async Task<string> LocalAsync(CancellationToken ct)
        {
            await _ready.WaitAsync(ct);
            return await _browser.TakeAsync(_offer ? "offer" : "answer", ct);
        }

        public override async Task RemoteAsync(string sdp)
        {
            await _ready;
            _browser.Put(_offer ? "answer" : "offer", sdp);
        }

        public override double Cpu() => _browser.ProcessTreeCpuSeconds();

        public override Task WarmAsync(CancellationToken ct) => _browser.TakeAsync("warm", ct);

        public override async Task<double> ReceivedSecondsAsync(long bytes, CancellationToken ct)
        {
            using JsonDocument result = JsonDocument.Parse(await _browser.TakeAsync("result", ct));
            JsonElement r = result.RootElement;
            if (r.TryGetProperty("error", out JsonElement error))
            {
                throw new InvalidOperationException("page error " + error);
            }

            long got = r.GetProperty("recvBytes").GetInt64();
            return got == bytes ? r.GetProperty("recvMs").GetDouble() / 1000 : throw new InvalidOperationException($"page received {got} bytes");
        }

        public override ValueTask DisposeAsync() => _browser.DisposeAsync();

        // The launch bounds itself (BrowserHarness.LaunchTimeout); the job starts once the page runs.
        private async Task LaunchAsync(string chromium, IReadOnlyDictionary<string, long> parameters)
        {
            await _browser.LaunchAsync(chromium, CancellationToken.None);
            _browser.StartJob(_offer ? "offer" : "answer", "oneway", 0, null, parameters);
        }
    }

    /// <summary>Offers 1200-byte UDP datagrams client → server at rising rates and prints what arrives.</summary>
    private static async Task CapacityAsync(NetLab lab, NfqImpairer? impairer, CancellationToken ct)
    {
        using Socket receiver = lab.OpenUdpSocket(NetLabHosts.Server, new IPEndPoint(IPAddress.Any, 0));
        receiver.ReceiveBufferSize = 16 << 20;
        using Socket sender = lab.OpenUdpSocket(NetLabHosts.Client, new IPEndPoint(IPAddress.Any, 0));
        sender.SendBufferSize = 4 << 20;
        sender.Connect(new IPEndPoint(NetLabHosts.ServerAddress, ((IPEndPoint)receiver.LocalEndPoint!).Port));
        long received = 0;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        Task counting = Task.Run(
            async () =>
            {
                byte[] buffer = new byte[2048];
                try
                {
                    while (true)
                    {
                        await receiver.ReceiveAsync(buffer, stop.Token);
                        Interlocked.Increment(ref received);
                    }
                }
                catch (OperationCanceledException)
                {
                }
            },
            ct);
        byte[] datagram = new byte[1200];
        foreach (int mbit in (int[])[100, 200, 400, 800])
        {
            double cpu = impairer?.CpuSeconds ?? 0;
            long before = Interlocked.Read(ref received);
            double perSecond = mbit * 1e6 / 8 / 1200;
            long sent = 0;
            var clock = Stopwatch.StartNew();
            while (clock.ElapsedMilliseconds < 1500)
            {
                long due = (long)(clock.Elapsed.TotalSeconds * perSecond) + 1;
                while (sent < due)
                {
                    try
                    {
                        sender.Send(datagram);
                    }
                    catch (SocketException)
                    {
                        // ENOBUFS when the qdisc is full counts as offered and lost
                    }

                    sent++;
                }

                Thread.Yield();
            }

            double offeredSeconds = clock.Elapsed.TotalSeconds;
            await Task.Delay(300, ct);
            long got = Interlocked.Read(ref received) - before;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {(impairer is null ? "no impairer      " : "impairer, 10 ms  ")} offered {sent * 1200 * 8 / 1e6 / offeredSeconds,6:F0} Mbit/s  delivered {got * 1200 * 8 / 1e6 / offeredSeconds,6:F0} Mbit/s  lost {100.0 * (sent - got) / sent,5:F2} %{(impairer is null ? "" : $"  impairer CPU {(impairer.CpuSeconds - cpu) / offeredSeconds * 100:F0} % of a core")}"));
        }

        await stop.CancelAsync();
        await counting;
    }

    /// <summary>Udp RcvbufErrors and SndbufErrors of a namespace (/proc/net/snmp).</summary>
    private static async Task<long[]> UdpErrorsAsync(NetLab lab, string host, CancellationToken ct)
    {
        ProcessResult r = await lab.ExecAsync(host, ["cat", "/proc/net/snmp"], TimeSpan.FromSeconds(10), ct);
        string[] lines = [.. r.StandardOutput.Split('\n').Where(l => l.StartsWith("Udp: ", StringComparison.Ordinal))];
        if (lines.Length < 2)
        {
            return [0, 0];
        }

        string[] names = lines[0].Split(' '), values = lines[1].Split(' ');
        long Get(string name) => long.Parse(values[Array.IndexOf(names, name)], CultureInfo.InvariantCulture);
        return [Get("RcvbufErrors"), Get("SndbufErrors")];
    }

    private static string? Missing()
    {
        if (!Environment.IsPrivilegedProcess)
        {
            return "needs root (network namespaces, iptables NFQUEUE)";
        }

        string[] missing = [.. ((string[])["ip", "nft", "iptables", "bash"]).Where(c => Which(c) is null)];
        return missing.Length == 0 ? null : "missing commands " + string.Join(", ", missing) + " (sudo bash scripts/install-prereqs.sh)";
    }

    private static string? Which(string command) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin").Split(':')
            .Concat(["/usr/sbin", "/sbin"])
            .Select(d => Path.Combine(d, command))
            .FirstOrDefault(File.Exists);

    private static string Load() => File.ReadAllText("/proc/loadavg").Split(' ')[0];
}
