using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Inroad.Nat.PortMapping;
using Inroad.Testing;
using Inroad.Testing.NetLab;

namespace Inroad.Nat.Tests.Lab;

/// <summary>
/// A real miniupnpd on lab router natB "reboots" (killed, its nftables chains, lease file and conntrack wiped, started
/// again): on start-up it multicasts a PCP ANNOUNCE to 224.0.0.1:5350, and the listening leases (PCP and NAT-PMP) must
/// map again at once so that a packet from the public side is forwarded again. A control lease on a mapper that does not listen
/// proves the reboot really lost the mappings.
/// </summary>
public sealed class GatewayRestartLabTests
{
    [Fact]
    public async Task Pcp_lease_recreates_its_mapping_when_miniupnpd_restarts_and_announces()
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        Prerequisites.RequireCommand("conntrack", "conntrack");
        await using NetLab lab = await NetLab.CreateAsync(new NetLabTopology { NatB = NatBehavior.Symmetric, UpnpRouters = [NetLabHosts.NatB] }, cts.Token);
        cts.CancelAfter(TimeSpan.FromSeconds(120)); // after CreateAsync: its wait for the machine-wide lab lock has its own bound
        Socket InProxy(AddressFamily f, SocketType t, ProtocolType p) => lab.RunIn(NetLabHosts.Proxy, () => new Socket(f, t, p));
        var mapper = new PortMapper(new PortMapperOptions { Gateway = NetLabHosts.NatBLan, SocketFactory = InProxy });
        var deaf = new PortMapper(new PortMapperOptions { Gateway = NetLabHosts.NatBLan, SocketFactory = InProxy, ListenForAnnouncements = false });

        using Socket proxy = lab.OpenUdpSocket(NetLabHosts.Proxy, new IPEndPoint(IPAddress.Any, 43001));
        using Socket control = lab.OpenUdpSocket(NetLabHosts.Proxy, new IPEndPoint(IPAddress.Any, 43002));
        using Socket pmpSocket = lab.OpenUdpSocket(NetLabHosts.Proxy, new IPEndPoint(IPAddress.Any, 43003));
        await using PortMappingLease lease = await mapper.MapUdpAsync(43001, PortMappingProtocol.Pcp, cts.Token);
        await using PortMappingLease pmpLease = await mapper.MapUdpAsync(43003, PortMappingProtocol.NatPmp, cts.Token);
        await using PortMappingLease deafLease = await deaf.MapUdpAsync(43002, PortMappingProtocol.Pcp, cts.Token);
        GatewayAnnouncementListener listener = Assert.IsType<GatewayAnnouncementListener>(mapper.Listener);
        Assert.True(await DeliversAsync(lab, lease.ExternalEndPoint, proxy, cts.Token), "mapping does not forward before the restart");
        Assert.True(await DeliversAsync(lab, deafLease.ExternalEndPoint, control, cts.Token), "control mapping does not forward before the restart");

        // miniupnpd 2.3.1 was seen (in a handful of manual restarts) to not always get its start-up ANNOUNCE to the LAN;
        // a router that reboots again is what a real client would see too, so allow up to three reboots.
        var sw = new Stopwatch();
        int reboots = 0;
        while (lease.AnnouncementRenewals == 0 && reboots < 3)
        {
            reboots++;
            sw = await RebootMiniupnpdAsync(lab, cts.Token);
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(cts.Token);
            wait.CancelAfter(TimeSpan.FromSeconds(8));
            try
            {
                while (lease.Renewals == 0 || pmpLease.Renewals == 0)
                {
                    await Task.Delay(20, wait.Token);
                }
            }
            catch (OperationCanceledException) when (!cts.IsCancellationRequested)
            {
            }
        }

        TimeSpan recovered = sw.Elapsed;
        Assert.True(listener.Accepted >= 1, "no ANNOUNCE from miniupnpd reached the listener");
        Assert.Equal(1, lease.AnnouncementRenewals);
        Assert.Equal(1, lease.Renewals);
        Assert.True(recovered < TimeSpan.FromSeconds(8), $"re-created {recovered.TotalMilliseconds:F0} ms after miniupnpd started");
        Assert.Equal(NetLabHosts.NatBWan, lease.ExternalEndPoint.Address);
        Assert.True(await DeliversAsync(lab, lease.ExternalEndPoint, proxy, cts.Token), "the re-created mapping does not forward");
        Assert.Equal((1, 1), (pmpLease.AnnouncementRenewals, pmpLease.Renewals)); // miniupnpd announces a restart only by PCP
        Assert.True(await DeliversAsync(lab, pmpLease.ExternalEndPoint, pmpSocket, cts.Token), "the re-created NAT-PMP mapping does not forward");
        Assert.False(await DeliversAsync(lab, deafLease.ExternalEndPoint, control, cts.Token), "the reboot did not lose the control mapping");
        Assert.Equal(0, deafLease.Renewals);
        TestContext.Current.TestOutputHelper?.WriteLine(string.Create(CultureInfo.InvariantCulture, $"mapping re-created {recovered.TotalMilliseconds:F0} ms after miniupnpd started again ({reboots} reboot(s))"));
    }

    /// <summary>Kills natB's miniupnpd (by the pid it wrote), wipes every trace of its mappings, and starts it again; the clock runs from the start.</summary>
    private static async Task<Stopwatch> RebootMiniupnpdAsync(NetLab lab, CancellationToken ct)
    {
        string state = "/run/inroad-netlab/" + lab.Prefix;
        string pidFile = Path.Combine(state, "miniupnpd-natB.pidfile");
        int pid = int.Parse((await File.ReadAllTextAsync(pidFile, ct)).Trim(), CultureInfo.InvariantCulture);
        Assert.Equal("miniupnpd", (await File.ReadAllTextAsync($"/proc/{pid}/comm", ct)).Trim());
        using (Process daemon = Process.GetProcessById(pid))
        {
            daemon.Kill();
            using var exit = CancellationTokenSource.CreateLinkedTokenSource(ct);
            exit.CancelAfter(TimeSpan.FromSeconds(10));
            await daemon.WaitForExitAsync(exit.Token);
        }

        foreach (string chain in new[] { "prerouting_miniupnpd", "postrouting_miniupnpd", "miniupnpd" })
        {
            ProcessResult flushed = await lab.ExecAsync(NetLabHosts.NatB, ["nft", "flush", "chain", "inet", "filter", chain], TimeSpan.FromSeconds(10), ct);
            Assert.True(flushed.ExitCode == 0, flushed.ToString());
        }

        File.Delete(Path.Combine(state, "miniupnpd-natB.leases"));
        await lab.FlushConntrackAsync(NetLabHosts.NatB, ct);
        var started = Stopwatch.StartNew();
        lab.Start(NetLabHosts.NatB, ["miniupnpd", "-f", Path.Combine(state, "miniupnpd-natB.conf"), "-d", "-P", pidFile]);
        return started;
    }

    /// <summary>True when a datagram from a fresh public socket (a new 5-tuple, no conntrack entry) reaches <paramref name="receiver"/>.</summary>
    private static async Task<bool> DeliversAsync(NetLab lab, IPEndPoint to, Socket receiver, CancellationToken ct)
    {
        using Socket from = lab.OpenUdpSocket(NetLabHosts.Server, new IPEndPoint(NetLabHosts.ServerAddress, 0));
        return await LabDelivery.DeliversAsync(from, to, receiver, ct);
    }
}
