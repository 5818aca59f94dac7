using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Reflection;
using System.Text;
using Inroad.WebRtc.DataChannels;
using Inroad.WebRtc.Dtls;
using Inroad.WebRtc.PeerConnection;

namespace Inroad.Benchmarks.Lab;

/// <summary>
/// <c>lab-peer offer|answer chromium|firefox12 HOST-IP SEND RECV WARM</c>: one of our peers as a child process of
/// <see cref="LabDataChannelBench"/>, started with <c>ip netns exec</c> so that its CPU time is its own. Signaling
/// is line-based: it prints <c>local BASE64-SDP</c> and reads <c>remote BASE64-SDP</c> from stdin; once the
/// reliable channel "oneway" is open it prints <c>open</c>, sends WARM + SEND bytes in 64 KiB writes when SEND &gt; 0,
/// receives WARM + RECV bytes when RECV &gt; 0 (printing <c>warm</c> after the first WARM and then <c>received RECV
/// SECONDS</c>, timed from the WARM-th to the last byte), then waits for <c>stop</c> (or end of stdin).
/// </summary>
internal static class LabPeer
{
    private const int WriteSize = 64 * 1024;

    public static async Task<int> RunAsync(string[] args)
    {
        bool offer = args[0] == "offer";
        DtlsProfileKind profile = args[1] == "firefox12" ? DtlsProfileKind.Firefox12 : DtlsProfileKind.Chromium;
        long send = long.Parse(args[3], CultureInfo.InvariantCulture);
        long receive = long.Parse(args[4], CultureInfo.InvariantCulture);
        long warm = long.Parse(args[5], CultureInfo.InvariantCulture);
        var options = new RtcPeerOptions
        {
            HostAddresses = [IPAddress.Parse(args[2])],
            ProfileChoice = new DtlsProfileChoice { Allowed = [profile], RandomizedProbability = 0 },
            ConnectTimeout = TimeSpan.FromSeconds(30),
        };
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        CancellationToken ct = cts.Token;
        RtcPeerConnection peer;
        Stream stream;
        if (offer)
        {
            (peer, string sdp) = await RtcPeerConnection.CreateOfferAsync(options, ct);
            Console.WriteLine("local " + Convert.ToBase64String(Encoding.UTF8.GetBytes(sdp)));
            await peer.ConnectAsync(await RemoteAsync(), ct);
            stream = await peer.OpenStreamAsync("oneway", ct);
        }
        else
        {
            (peer, string sdp) = await RtcPeerConnection.CreateAnswerAsync(options, await RemoteAsync(), ct);
            Console.WriteLine("local " + Convert.ToBase64String(Encoding.UTF8.GetBytes(sdp)));
            await peer.ConnectAsync(cancellationToken: ct);
            (stream, _) = await peer.AcceptStreamAsync(ct);
        }

        await using (peer)
        await using (stream)
        {
            Console.WriteLine("open");
            Task sending = send > 0 ? SendAsync(stream, warm + send, ct) : Task.CompletedTask;
            if (receive > 0)
            {
                double seconds = await ReceiveAsync(stream, warm, receive, ct);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"received {receive} {seconds:F4}"));
            }

            await sending;
            Console.WriteLine("sent");
            while (await Console.In.ReadLineAsync(ct) is { } line && line != "stop")
            {
            }

            Console.Error.WriteLine("stats " + await SctpCountersAsync(peer));
        }

        return 0;
    }

    /// <summary>The association's own counters (fast retransmits, T3 expirations, duplicates), beyond RtcPeerStatistics.</summary>
    private static async Task<string> SctpCountersAsync(RtcPeerConnection peer)
    {
        var session = (DataChannelSession)typeof(RtcPeerConnection).GetProperty("Connected", BindingFlags.NonPublic | BindingFlags.Instance)!.GetValue(peer)!;
        var (c, rtt, cwnd) = await session.GetStatisticsAsync();
        return string.Create(CultureInfo.InvariantCulture,
            $"packets sent {c.PacketsSent} received {c.PacketsReceived} dropped {c.PacketsDropped}; DATA sent {c.DataChunksSent} received {c.DataChunksReceived} duplicate {c.DuplicateChunksReceived}; retransmitted {c.Retransmissions} (fast {c.FastRetransmits}, T3 expirations {c.T3Expirations}); srtt {rtt.TotalMilliseconds:F1} ms cwnd {cwnd}");
    }

    private static async Task<string> RemoteAsync()
    {
        while (await Console.In.ReadLineAsync() is { } line)
        {
            if (line.StartsWith("remote ", StringComparison.Ordinal))
            {
                return Encoding.UTF8.GetString(Convert.FromBase64String(line["remote ".Length..]));
            }
        }

        throw new InvalidOperationException("stdin closed before the remote description");
    }

    private static async Task SendAsync(Stream stream, long total, CancellationToken ct)
    {
        byte[] chunk = new byte[WriteSize];
        new Random(5).NextBytes(chunk);
        for (long sent = 0; sent < total; sent += WriteSize)
        {
            await stream.WriteAsync(chunk.AsMemory(0, (int)Math.Min(WriteSize, total - sent)), ct);
        }
    }

    private static async Task<double> ReceiveAsync(Stream stream, long warm, long total, CancellationToken ct)
    {
        byte[] buffer = new byte[WriteSize];
        long first = 0, got = 0;
        while (got < warm + total)
        {
            int n = await stream.ReadAsync(buffer, ct);
            if (n == 0)
            {
                throw new EndOfStreamException($"channel closed after {got} of {warm + total} bytes");
            }

            got += n;
            if (first == 0 && got >= warm)
            {
                first = Stopwatch.GetTimestamp();
                if (warm > 0)
                {
                    Console.WriteLine("warm");
                }
            }
        }

        return Stopwatch.GetElapsedTime(first).TotalSeconds;
    }
}
