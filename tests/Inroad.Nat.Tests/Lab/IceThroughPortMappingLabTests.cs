using System.Diagnostics;
using System.Net;
using Inroad.Nat.PortMapping;
using Inroad.Testing.NetLab;
using Inroad.WebRtc.Ice;

namespace Inroad.Nat.Tests.Lab;

/// <summary>
/// Issue 7's end-to-end claim: a client behind a symmetric NAT cannot reach a proxy behind a symmetric NAT, until
/// the proxy maps its ICE socket's port (PCP on miniupnpd) and advertises the mapping as a host candidate.
/// </summary>
public sealed class IceThroughPortMappingLabTests
{
    private static readonly TimeSpan FailedTimeout = TimeSpan.FromSeconds(6);

    [Fact]
    public async Task Symmetric_to_symmetric_fails_without_and_succeeds_with_a_port_mapping()
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        await using NetLab lab = await NetLab.CreateAsync(
            new NetLabTopology { NatA = NatBehavior.Symmetric, NatB = NatBehavior.Symmetric, UpnpRouters = [NetLabHosts.NatB] }, cts.Token);
        cts.CancelAfter(TimeSpan.FromSeconds(100)); // after CreateAsync: its wait for the machine-wide lab lock has its own bound

        (bool withoutOk, TimeSpan withoutTime, _) = await ConnectAsync(lab, mapPort: false, cts.Token);
        Assert.False(withoutOk);
        Assert.True(withoutTime < FailedTimeout + TimeSpan.FromSeconds(10), $"failure took {withoutTime}");

        (bool withOk, TimeSpan withTime, IPEndPoint? selected) = await ConnectAsync(lab, mapPort: true, cts.Token);
        Assert.True(withOk, $"ICE failed with the port mapping after {withTime}");
        Assert.Equal(NetLabHosts.NatBWan, selected!.Address);
        TestContext.Current.TestOutputHelper?.WriteLine($"symmetric<->symmetric: without mapping failed after {withoutTime.TotalMilliseconds:0} ms; with PCP mapping connected in {withTime.TotalMilliseconds:0} ms via {selected}");
    }

    private static async Task<(bool Connected, TimeSpan Took, IPEndPoint? ClientSelected)> ConnectAsync(NetLab lab, bool mapPort, CancellationToken ct)
    {
        var mapper = new PortMapper(new PortMapperOptions
        {
            Gateway = NetLabHosts.NatBLan,
            EnableUpnp = false,
            SocketFactory = (f, t, p) => lab.RunIn(NetLabHosts.Proxy, () => new System.Net.Sockets.Socket(f, t, p)),
        });
        var proxySocket = lab.OpenUdpSocket(NetLabHosts.Proxy, new IPEndPoint(IPAddress.Any, 0));
        PortMappingLease? lease = mapPort ? await mapper.MapUdpAsync(((IPEndPoint)proxySocket.LocalEndPoint!).Port, ct) : null;
        try
        {
            await using IceTransport proxy = await IceTransport.CreateAsync(Options(proxySocket, NetLabHosts.ProxyAddress, IceRole.Controlled, lease), cancellationToken: ct);
            await using IceTransport client = await IceTransport.CreateAsync(
                Options(lab.OpenUdpSocket(NetLabHosts.Client, new IPEndPoint(IPAddress.Any, 0)), NetLabHosts.ClientAddress, IceRole.Controlling, null), cancellationToken: ct);
            if (mapPort)
            {
                Assert.Contains(proxy.LocalCandidates, c => c.Type == IceCandidateType.Host && c.EndPoint.Equals(lease!.ExternalEndPoint));
            }

            var sw = Stopwatch.StartNew();
            try
            {
                await Task.WhenAll(
                    client.ConnectAsync(proxy.LocalCredentials, proxy.LocalCandidates, ct),
                    proxy.ConnectAsync(client.LocalCredentials, client.LocalCandidates, ct));
                return (true, sw.Elapsed, client.SelectedRemote);
            }
            catch (IceException)
            {
                return (false, sw.Elapsed, null);
            }
        }
        finally
        {
            if (lease is not null)
            {
                await lease.DisposeAsync();
            }
        }
    }

    private static IceTransportOptions Options(System.Net.Sockets.Socket socket, IPAddress host, IceRole role, PortMappingLease? lease) => new()
    {
        Socket = socket,
        UseIPv6 = false,
        HostAddresses = [host],
        StunServers = [NetLabHosts.StunEndPoint],
        InjectedCandidates = lease is null ? [] : [lease.ExternalEndPoint],
        Agent = new IceAgentOptions { Role = role, FailedTimeout = FailedTimeout, Seed = role == IceRole.Controlling ? 1 : 2 },
    };
}
