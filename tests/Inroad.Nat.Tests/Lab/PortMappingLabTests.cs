using System.Net;
using System.Net.Sockets;
using Inroad.Nat.PortMapping;
using Inroad.Testing.NetLab;

namespace Inroad.Nat.Tests.Lab;

/// <summary>Our three port-mapping clients against miniupnpd on lab router natB, proved by a packet from the public side.</summary>
public sealed class PortMappingLabTests
{
    [Fact]
    public async Task Each_protocol_maps_a_port_that_forwards_from_the_public_side_and_deletes_it()
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        await using NetLab lab = await NetLab.CreateAsync(new NetLabTopology { NatB = NatBehavior.Symmetric, UpnpRouters = [NetLabHosts.NatB] }, cts.Token);
        cts.CancelAfter(TimeSpan.FromSeconds(120)); // after CreateAsync: its wait for the machine-wide lab lock has its own bound
        var options = new PortMapperOptions
        {
            Gateway = NetLabHosts.NatBLan,
            ProbeTimeout = TimeSpan.FromSeconds(6), // miniupnpd shares the two cores with the whole test run
            SocketFactory = (f, t, p) => lab.RunIn(NetLabHosts.Proxy, () => new Socket(f, t, p)),
        };
        var mapper = new PortMapper(options);

        PortMappingProbeResult probe = await mapper.ProbeAsync(cts.Token);
        Assert.Equal([PortMappingProtocol.Pcp, PortMappingProtocol.NatPmp, PortMappingProtocol.UpnpIgd], probe.Available);

        int port = 41000;
        foreach (PortMappingProtocol protocol in probe.Available)
        {
            port++;
            using Socket proxy = lab.OpenUdpSocket(NetLabHosts.Proxy, new IPEndPoint(IPAddress.Any, port));
            PortMappingLease lease = await mapper.MapUdpAsync(port, protocol, cts.Token);
            Assert.Equal(NetLabHosts.NatBWan, lease.ExternalEndPoint.Address);
            Assert.Equal(protocol, lease.Protocol);

            using (Socket server = lab.OpenUdpSocket(NetLabHosts.Server, new IPEndPoint(NetLabHosts.ServerAddress, 0)))
            {
                Assert.True(await LabDelivery.DeliversAsync(server, lease.ExternalEndPoint, proxy, cts.Token), $"{protocol}: nothing arrived through {lease.ExternalEndPoint}");
            }

            await lease.RenewAsync(cts.Token);
            Assert.Equal(1, lease.Renewals);
            await lease.DisposeAsync();

            // A fresh remote (no conntrack entry) must no longer get through once the mapping is deleted.
            using (Socket stranger = lab.OpenUdpSocket(NetLabHosts.Server, new IPEndPoint(NetLabHosts.ServerAddress, 0)))
            {
                Assert.False(await LabDelivery.DeliversAsync(stranger, lease.ExternalEndPoint, proxy, cts.Token), $"{protocol}: mapping still forwards after delete");
            }
        }
    }

    [Fact]
    public async Task Best_protocol_is_chosen_automatically()
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        await using NetLab lab = await NetLab.CreateAsync(new NetLabTopology { UpnpRouters = [NetLabHosts.NatB] }, cts.Token);
        cts.CancelAfter(TimeSpan.FromSeconds(90)); // after CreateAsync: its wait for the machine-wide lab lock has its own bound
        var mapper = new PortMapper(new PortMapperOptions
        {
            Gateway = NetLabHosts.NatBLan,
            EnablePcp = false,
            SocketFactory = (f, t, p) => lab.RunIn(NetLabHosts.Proxy, () => new Socket(f, t, p)),
        });
        await using PortMappingLease lease = await mapper.MapUdpAsync(42000, cts.Token);
        Assert.Equal(PortMappingProtocol.NatPmp, lease.Protocol);
        Assert.Equal(new IPEndPoint(NetLabHosts.NatBWan, 42000), lease.ExternalEndPoint);
    }
}
