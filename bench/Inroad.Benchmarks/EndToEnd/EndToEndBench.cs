using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Inroad.Demo;

namespace Inroad.Benchmarks.EndToEnd;

/// <summary>
/// <c>dotnet run -c Release --project bench/Inroad.Benchmarks -- e2e [megabytes]</c>: the whole path on this machine
/// (client app → local SOCKS5 → WebRTC data channel → proxy → tunnel server → sink), against the same transfer
/// straight to the sink. Prints time to first byte through a fresh network, MB/s each way, the ratio, and the
/// process CPU seconds per GB (every role runs in this one process, so that is the sum over all roles).
/// </summary>
internal static class EndToEndBench
{
    public static async Task<int> RunAsync(string[] args)
    {
        int megabytes = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 200;
        long total = megabytes * 1024L * 1024L;
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        CancellationToken ct = cts.Token;
        using var sink = new TcpListener(IPAddress.Loopback, 0);
        sink.Start();
        _ = ServeAsync(sink, ct);
        var sinkEndPoint = (IPEndPoint)sink.LocalEndpoint;

        (double directUp, _) = await MeasureAsync(() => ConnectDirectAsync(sinkEndPoint, ct), total, ct);
        (double directDown, _) = await MeasureDownAsync(() => ConnectDirectAsync(sinkEndPoint, ct), total, ct);

        var ttfb = Stopwatch.StartNew();
        await using DemoNetwork network = await DemoNetwork.StartAsync(new DemoNetworkOptions { AllowLoopbackTargets = true }, ct);
        network.StartProxy(maxCommonClients: 1, maxPersonalClients: 0);
        DemoClient client = network.StartClient();
        await using (NetworkStream first = await SocksAsync(client, sinkEndPoint, ct))
        {
            await first.WriteAsync("E"u8.ToArray(), ct); // echo one byte
            await first.ReadExactlyAsync(new byte[1], ct);
        }

        double firstByte = ttfb.Elapsed.TotalSeconds;
        (double tunnelUp, double cpuUp) = await MeasureAsync(() => SocksAsync(client, sinkEndPoint, ct), total, ct);
        (double tunnelDown, double cpuDown) = await MeasureDownAsync(() => SocksAsync(client, sinkEndPoint, ct), total, ct);

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"transfer                 {megabytes} MiB each way, one stream"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"time to first byte       {firstByte:F2} s (network start → tunnel → echoed byte)"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"direct    up/down        {directUp:F1} / {directDown:F1} MB/s"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"in-proxy  up/down        {tunnelUp:F1} / {tunnelDown:F1} MB/s ({tunnelUp * 8:F0} / {tunnelDown * 8:F0} Mbit/s)"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ratio     up/down        {tunnelUp / directUp:P1} / {tunnelDown / directDown:P1} of direct"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"CPU (all roles) up/down  {cpuUp:F0} / {cpuDown:F0} CPU-s per GB"));
        return 0;
    }

    private static async Task<NetworkStream> ConnectDirectAsync(IPEndPoint target, CancellationToken ct)
    {
        var c = new TcpClient { NoDelay = true };
        await c.ConnectAsync(target, ct);
        return c.GetStream();
    }

    private static async Task<NetworkStream> SocksAsync(DemoClient client, IPEndPoint target, CancellationToken ct)
    {
        NetworkStream s = await ConnectDirectAsync(client.Proxy.SocksEndPoint!, ct);
        byte[] address = target.Address.GetAddressBytes();
        byte[] request = [5, 1, 0, 5, 1, 0, 1, .. address, (byte)(target.Port >> 8), (byte)target.Port];
        await s.WriteAsync(request, ct);
        byte[] reply = new byte[12];
        await s.ReadExactlyAsync(reply, ct);
        return reply[3] == 0 ? s : throw new IOException($"SOCKS refused: {reply[3]}");
    }

    // Upload: 'U' then bytes; the sink answers one byte after reading `total` bytes.
    private static async Task<(double MBps, double CpuPerGb)> MeasureAsync(Func<Task<NetworkStream>> connect, long total, CancellationToken ct)
    {
        await using NetworkStream s = await connect();
        byte[] header = new byte[9];
        header[0] = (byte)'U';
        System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(header.AsSpan(1), total);
        await s.WriteAsync(header, ct);
        byte[] chunk = new byte[64 * 1024];
        Random.Shared.NextBytes(chunk);
        TimeSpan cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        for (long sent = 0; sent < total; sent += chunk.Length)
        {
            await s.WriteAsync(chunk.AsMemory(0, (int)Math.Min(chunk.Length, total - sent)), ct);
        }

        await s.ReadExactlyAsync(new byte[1], ct);
        return Result(total, clock.Elapsed, Process.GetCurrentProcess().TotalProcessorTime - cpu);
    }

    // Download: 'D' + length; the sink sends `total` bytes.
    private static async Task<(double MBps, double CpuPerGb)> MeasureDownAsync(Func<Task<NetworkStream>> connect, long total, CancellationToken ct)
    {
        await using NetworkStream s = await connect();
        byte[] header = new byte[9];
        header[0] = (byte)'D';
        System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(header.AsSpan(1), total);
        TimeSpan cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        await s.WriteAsync(header, ct);
        byte[] buffer = new byte[64 * 1024];
        for (long got = 0; got < total;)
        {
            int n = await s.ReadAsync(buffer, ct);
            got += n > 0 ? n : throw new EndOfStreamException();
        }

        return Result(total, clock.Elapsed, Process.GetCurrentProcess().TotalProcessorTime - cpu);
    }

    private static (double, double) Result(long bytes, TimeSpan elapsed, TimeSpan cpu) =>
        (bytes / 1e6 / elapsed.TotalSeconds, cpu.TotalSeconds / (bytes / 1e9));

    private static async Task ServeAsync(TcpListener listener, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            TcpClient c = await listener.AcceptTcpClientAsync(ct);
            c.NoDelay = true;
            _ = Task.Run(
                async () =>
                {
                    using (c)
                    {
                        NetworkStream s = c.GetStream();
                        byte[] first = new byte[1];
                        await s.ReadExactlyAsync(first, ct);
                        if (first[0] == 'E')
                        {
                            await s.WriteAsync(first, ct);
                            return;
                        }

                        byte[] length = new byte[8];
                        await s.ReadExactlyAsync(length, ct);
                        long total = System.Buffers.Binary.BinaryPrimitives.ReadInt64BigEndian(length);
                        byte[] buffer = new byte[64 * 1024];
                        if (first[0] == 'U')
                        {
                            for (long got = 0; got < total;)
                            {
                                int n = await s.ReadAsync(buffer, ct);
                                got += n > 0 ? n : throw new EndOfStreamException();
                            }

                            await s.WriteAsync(first, ct);
                        }
                        else
                        {
                            for (long sent = 0; sent < total; sent += buffer.Length)
                            {
                                await s.WriteAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, total - sent)), ct);
                            }
                        }

                        await s.ReadAtLeastAsync(first, 1, throwOnEndOfStream: false, ct);
                    }
                },
                ct);
        }
    }
}
