using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Inroad.Testing;
using Inroad.Testing.NetLab;

namespace Inroad.Nat.Tests.Lab;

/// <summary>The lab itself: each NAT behaviour really behaves as named, impairment works, nothing is left behind.</summary>
public sealed class NetLabTests
{
    private static readonly IPAddress Any = IPAddress.Any;

    [Fact]
    public async Task Each_nat_behaviour_maps_and_filters_as_named()
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        await using NetLab lab = await NetLab.CreateAsync(new NetLabTopology { Stun = false }, cts.Token);
        cts.CancelAfter(TimeSpan.FromSeconds(120)); // after CreateAsync: its wait for the machine-wide lab lock has its own bound
        using Socket s7000 = lab.OpenUdpSocket(NetLabHosts.Server, new IPEndPoint(NetLabHosts.ServerAddress, 7000));
        using Socket s7001 = lab.OpenUdpSocket(NetLabHosts.Server, new IPEndPoint(NetLabHosts.ServerAddress, 7001));
        using Socket b7000 = lab.OpenUdpSocket(NetLabHosts.Broker, new IPEndPoint(NetLabHosts.BrokerAddress, 7000));

        var expected = new Dictionary<NatBehavior, (string Mapping, string Filtering)>
        {
            [NatBehavior.FullCone] = ("EIM", "EIF"),
            [NatBehavior.Restricted] = ("EIM", "ADF"),
            [NatBehavior.PortRestricted] = ("EIM", "APDF"),
            [NatBehavior.Symmetric] = ("APDM", "APDF"),
        };
        foreach ((NatBehavior mode, (string mapping, string filtering)) in expected)
        {
            await lab.SetNatAsync(NetLabHosts.NatA, mode, cts.Token);

            using Socket probe = lab.OpenUdpSocket(NetLabHosts.Client, new IPEndPoint(Any, 0));
            IPEndPoint m1 = await SendAndObserveAsync(probe, s7000, cts.Token);
            IPEndPoint m2 = await SendAndObserveAsync(probe, s7001, cts.Token);
            IPEndPoint m3 = await SendAndObserveAsync(probe, b7000, cts.Token);
            Assert.Equal(NetLabHosts.NatAWan, m1.Address);
            string seenMapping = m1.Equals(m2) && m1.Equals(m3) ? "EIM" : m1.Equals(m2) ? "ADM" : "APDM";

            // Filtering: a fresh mapping that has only talked to server:7000; strangers knock on it.
            using Socket fresh = lab.OpenUdpSocket(NetLabHosts.Client, new IPEndPoint(Any, 0));
            IPEndPoint mapped = await SendAndObserveAsync(fresh, s7000, cts.Token);
            await b7000.SendToAsync("other-ip"u8.ToArray(), mapped, cts.Token);
            await s7001.SendToAsync("other-port"u8.ToArray(), mapped, cts.Token);
            await s7000.SendToAsync("same"u8.ToArray(), mapped, cts.Token);
            HashSet<string> got = await DrainAsync(fresh, TimeSpan.FromMilliseconds(400), cts.Token);
            string seenFiltering = got.Contains("other-ip") ? "EIF" : got.Contains("other-port") ? "ADF" : "APDF";

            Assert.Contains("same", got);
            Assert.Equal((mapping, filtering), (seenMapping, seenFiltering));
        }
    }

    [Fact]
    public async Task Impairment_adds_delay_and_is_removed()
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        Prerequisites.RequireCommand("iptables", "iptables");
        Prerequisites.RequireCommand("python3", "python3");
        await using NetLab lab = await NetLab.CreateAsync(new NetLabTopology { Stun = false }, cts.Token);
        cts.CancelAfter(TimeSpan.FromSeconds(90)); // after CreateAsync: its wait for the machine-wide lab lock has its own bound
        using Socket server = lab.OpenUdpSocket(NetLabHosts.Server, new IPEndPoint(NetLabHosts.ServerAddress, 7000));
        using Socket client = lab.OpenUdpSocket(NetLabHosts.Client, new IPEndPoint(Any, 0));

        TimeSpan baseline = await RoundTripAsync(client, server, cts.Token);
        await lab.ImpairAsync(NetLabHosts.NatA, "eth0", new NetLabImpairment { DelayMs = 60, Direction = "out" }, cts.Token);
        TimeSpan delayed = await RoundTripAsync(client, server, cts.Token);
        await lab.UnimpairAsync(NetLabHosts.NatA, cts.Token);
        TimeSpan after = await RoundTripAsync(client, server, cts.Token);

        Assert.True(delayed >= TimeSpan.FromMilliseconds(58), $"impaired RTT {delayed.TotalMilliseconds} ms");
        Assert.True(baseline < TimeSpan.FromMilliseconds(40), $"baseline RTT {baseline.TotalMilliseconds} ms");
        Assert.True(after < TimeSpan.FromMilliseconds(40), $"RTT after removal {after.TotalMilliseconds} ms");
    }

    [Fact]
    public async Task Dispose_removes_every_namespace_and_process()
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        string prefix;
        LabProcess sleeper;
        await using (NetLab lab = await NetLab.CreateAsync(new NetLabTopology { Stun = false }, cts.Token))
        {
            cts.CancelAfter(TimeSpan.FromSeconds(90)); // after CreateAsync: its wait for the machine-wide lab lock has its own bound
            prefix = lab.Prefix;
            Assert.True(File.Exists("/run/netns/" + lab.Namespace(NetLabHosts.Client)));
            sleeper = lab.Start(NetLabHosts.Server, ["sleep", "300"]);
            Assert.False(sleeper.HasExited);
        }

        Assert.Empty(Directory.GetFiles("/run/netns", prefix + "*"));
        Assert.False(Directory.Exists("/run/inroad-netlab/" + prefix));
        Assert.Throws<ArgumentException>(() => Process.GetProcessById(sleeper.Id));
    }

    /// <summary>Where <paramref name="to"/> sees a datagram from <paramref name="from"/> come from (its own nonce, so a copy left over from an earlier probe cannot answer).</summary>
    private static async Task<IPEndPoint> SendAndObserveAsync(Socket from, Socket to, CancellationToken ct) =>
        await LabDelivery.SendUntilReceivedAsync(from, to.LocalEndPoint!, to, 5, TimeSpan.FromMilliseconds(500), ct)
        ?? throw new TimeoutException("probe never arrived");

    private static async Task<HashSet<string>> DrainAsync(Socket s, TimeSpan window, CancellationToken ct)
    {
        var got = new HashSet<string>(StringComparer.Ordinal);
        using var until = CancellationTokenSource.CreateLinkedTokenSource(ct);
        until.CancelAfter(window);
        byte[] buf = new byte[64];
        try
        {
            while (true)
            {
                SocketReceiveFromResult r = await s.ReceiveFromAsync(buf, new IPEndPoint(Any, 0), until.Token);
                got.Add(System.Text.Encoding.ASCII.GetString(buf, 0, r.ReceivedBytes));
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
        }

        return got;
    }

    private static async Task<TimeSpan> RoundTripAsync(Socket client, Socket server, CancellationToken ct)
    {
        var best = TimeSpan.MaxValue;
        byte[] buf = new byte[64];
        for (int i = 0; i < 5; i++)
        {
            long t0 = Stopwatch.GetTimestamp();
            IPEndPoint from = await SendAndObserveAsync(client, server, ct);
            await server.SendToAsync("echo"u8.ToArray(), from, ct);
            using var once = CancellationTokenSource.CreateLinkedTokenSource(ct);
            once.CancelAfter(TimeSpan.FromSeconds(2));
            await client.ReceiveFromAsync(buf, new IPEndPoint(Any, 0), once.Token);
            TimeSpan rtt = Stopwatch.GetElapsedTime(t0);
            best = rtt < best ? rtt : best;
        }

        return best;
    }
}
