using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Inroad.Testing.NetLab;
using Inroad.WebRtc.Ice;

namespace Inroad.WebRtc.Tests.Ice;

/// <summary>
/// ICE between the client (behind natA) and the proxy (behind natB) of the namespace lab, with coturn as the
/// STUN server, for the NAT pairings that decide whether a proxy can serve a client.
/// </summary>
[Collection(NetLabCollection.Name)]
public sealed class IceLabTests
{
    [Fact]
    public async Task Ice_across_nat_pairings_connects_or_fails_as_nat_behaviour_predicts()
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        await using NetLab lab = await NetLab.CreateAsync(new NetLabTopology(), cts.Token);
        cts.CancelAfter(TimeSpan.FromMinutes(4)); // after CreateAsync: its wait for the machine-wide lab lock has its own bound
        var cases = new (NatBehavior A, NatBehavior B, bool Connects)[]
        {
            (NatBehavior.FullCone, NatBehavior.FullCone, true),
            (NatBehavior.PortRestricted, NatBehavior.PortRestricted, true),
            (NatBehavior.Symmetric, NatBehavior.FullCone, true),
            (NatBehavior.FullCone, NatBehavior.Symmetric, true),
            (NatBehavior.Symmetric, NatBehavior.PortRestricted, false),
            (NatBehavior.Symmetric, NatBehavior.Symmetric, false),
        };
        foreach (var c in cases)
        {
            await lab.SetNatAsync(NetLabHosts.NatA, c.A, cts.Token);
            await lab.SetNatAsync(NetLabHosts.NatB, c.B, cts.Token);
            Outcome o = await RunAsync(lab, cts.Token);
            Report($"{c.A}/{c.B}", o);
            Assert.True(c.Connects == o.Connected, $"{c.A}/{c.B}: expected connected={c.Connects}, got {o.Error ?? "connected"}");
            if (!c.Connects)
            {
                // Fails cleanly, within the agent's failure timeout (12 s) plus scheduling slack.
                Assert.InRange(o.Elapsed.TotalSeconds, 1, 14);
            }
        }
    }

    [Fact]
    public async Task Ice_connects_through_port_restricted_nats_with_5_percent_loss_and_100ms_delay()
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        await using NetLab lab = await NetLab.CreateAsync(new NetLabTopology(), cts.Token);
        cts.CancelAfter(TimeSpan.FromMinutes(3)); // after CreateAsync: its wait for the machine-wide lab lock has its own bound
        await lab.ImpairAsync(NetLabHosts.NatA, "eth0", new NetLabImpairment { DelayMs = 100, LossPercent = 5, Direction = "both", Seed = 3 }, cts.Token);
        for (int run = 0; run < 3; run++)
        {
            await lab.FlushConntrackAsync(NetLabHosts.NatA, cts.Token);
            await lab.FlushConntrackAsync(NetLabHosts.NatB, cts.Token);
            // A STUN transaction crosses the lossy link twice, so one send in ten goes unanswered. The default 2 s of
            // gathering makes 3 sends (all lost: 0.0975^3 = 9e-4 per gathering, 3e-3 per test, and the client would
            // have no server-reflexive candidate); 5 s makes 5 (0.0975^5 = 9e-6 per gathering, 3e-5 per test).
            Outcome o = await RunAsync(lab, cts.Token, exchange: 20, gathering: TimeSpan.FromSeconds(5));
            Report($"PortRestricted/PortRestricted +100ms +5% loss (run {run + 1})", o);
            Assert.True(o.Connected, o.Error);
            Assert.InRange(o.Delivered, 10, 20); // 20 datagrams each way over a 5 %-lossy path
        }
    }

    private sealed record Outcome(bool Connected, string? Error, TimeSpan Elapsed, TimeSpan ClientGathering, TimeSpan ProxyGathering, TimeSpan? ClientConnect, TimeSpan? ProxyConnect, int Delivered);

    private static async Task<Outcome> RunAsync(NetLab lab, CancellationToken ct, int exchange = 1, TimeSpan? gathering = null)
    {
        IceTransportOptions Options(string host, IPAddress address, IceRole role) => new()
        {
            Agent = new IceAgentOptions { Role = role },
            Socket = lab.OpenUdpSocket(host, new IPEndPoint(IPAddress.Any, 0)),
            HostAddresses = [address],
            UseIPv6 = false,
            StunServers = [NetLabHosts.StunEndPoint],
            GatheringTimeout = gathering ?? new IceTransportOptions().GatheringTimeout,
        };

        await using IceTransport client = await IceTransport.CreateAsync(Options(NetLabHosts.Client, NetLabHosts.ClientAddress, IceRole.Controlling), cancellationToken: ct);
        await using IceTransport proxy = await IceTransport.CreateAsync(Options(NetLabHosts.Proxy, NetLabHosts.ProxyAddress, IceRole.Controlled), cancellationToken: ct);
        Assert.Contains(client.LocalCandidates, x => x.Type == IceCandidateType.ServerReflexive && x.EndPoint.Address.Equals(NetLabHosts.NatAWan));
        Assert.Contains(proxy.LocalCandidates, x => x.Type == IceCandidateType.ServerReflexive && x.EndPoint.Address.Equals(NetLabHosts.NatBWan));
        long start = TimeProvider.System.GetTimestamp();
        Task a = client.ConnectAsync(proxy.LocalCredentials, proxy.LocalCandidates, ct);
        Task b = proxy.ConnectAsync(client.LocalCredentials, client.LocalCandidates, ct);
        string? error = null;
        try
        {
            await Task.WhenAll(a, b);
        }
        catch (IceException ex)
        {
            error = ex.Message;
        }

        TimeSpan elapsed = TimeProvider.System.GetElapsedTime(start);
        int delivered = 0;
        if (error is null)
        {
            // The path carries DTLS-range datagrams both ways.
            byte[] buffer = new byte[64];
            for (int i = 0; i < exchange; i++)
            {
                await proxy.DatagramTransport.SendAsync(new byte[] { 22, (byte)i }, ct);
                await client.DatagramTransport.SendAsync(new byte[] { 23, (byte)i }, ct);
            }

            using var window = CancellationTokenSource.CreateLinkedTokenSource(ct);
            window.CancelAfter(TimeSpan.FromSeconds(2));
            try
            {
                while (true)
                {
                    await client.DatagramTransport.ReceiveAsync(buffer, window.Token);
                    await proxy.DatagramTransport.ReceiveAsync(buffer, window.Token);
                    delivered++;
                    if (delivered == exchange)
                    {
                        break;
                    }
                }
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
            }

            Assert.True(delivered > 0, "no datagram crossed the selected pair");
        }
        else
        {
            Assert.Equal(IceConnectionState.Failed, client.State);
        }

        return new Outcome(error is null, error, elapsed, client.GatheringTime, proxy.GatheringTime, client.TimeToConnected, proxy.TimeToConnected, delivered);
    }

    private static void Report(string name, Outcome o)
    {
        string line = string.Create(
            CultureInfo.InvariantCulture,
            $"[ice-lab] {name}: {(o.Connected ? "connected" : "failed")} after {o.Elapsed.TotalMilliseconds:F0} ms; gathering client {o.ClientGathering.TotalMilliseconds:F1} ms, proxy {o.ProxyGathering.TotalMilliseconds:F1} ms; checks to connected client {Ms(o.ClientConnect)}, proxy {Ms(o.ProxyConnect)}; datagrams {o.Delivered}");
        TestContext.Current.TestOutputHelper?.WriteLine(line);
        Console.WriteLine(line);
    }

    private static string Ms(TimeSpan? t) => t is { } v ? v.TotalMilliseconds.ToString("F1", CultureInfo.InvariantCulture) + " ms" : "-";
}
