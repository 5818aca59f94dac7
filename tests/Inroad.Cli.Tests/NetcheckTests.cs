using System.CommandLine;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Inroad.Cli.Commands;
using Inroad.Testing.NetLab;

namespace Inroad.Cli.Tests;

public sealed class NetcheckTests
{
    [Fact]
    public async Task Json_says_no_public_address_when_the_stun_server_is_silent()
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(TimeSpan.FromSeconds(30));
        using var silent = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        silent.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var output = new StringWriter();
        var sw = Stopwatch.StartNew();
        int exit = await InroadCommand.Create()
            .Parse(["netcheck", "--stun", silent.LocalEndPoint!.ToString()!, "--no-port-mapping", "--json"])
            .InvokeAsync(new InvocationConfiguration { Output = output, Error = new StringWriter() }, cts.Token);

        Assert.Equal(NetcheckCommand.NoStunAnswer, exit);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(12), $"took {sw.Elapsed}");
        using JsonDocument json = JsonDocument.Parse(output.ToString());
        Assert.Equal(JsonValueKind.Null, json.RootElement.GetProperty("publicAddress").ValueKind);
        Assert.Equal("Unknown", json.RootElement.GetProperty("mapping").GetString());
        Assert.Equal("StrictlyLimited", json.RootElement.GetProperty("traversal").GetString());
    }

    [Fact]
    public async Task Bad_gateway_is_a_usage_error()
    {
        var error = new StringWriter();
        int exit = await InroadCommand.Create().Parse(["netcheck", "--stun", "127.0.0.1:3478", "--gateway", "::1"])
            .InvokeAsync(new InvocationConfiguration { Output = new StringWriter(), Error = error }, TestContext.Current.CancellationToken);
        Assert.Equal(ExitCodes.Usage, exit);
        Assert.Contains("--gateway", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Lab_proxy_behind_symmetric_nat_with_miniupnpd_reports_everything()
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        await using NetLab lab = await NetLab.CreateAsync(new NetLabTopology { NatB = NatBehavior.Symmetric, UpnpRouters = [NetLabHosts.NatB] }, cts.Token);
        cts.CancelAfter(TimeSpan.FromSeconds(90)); // after CreateAsync: its wait for the machine-wide lab lock has its own bound
        NetcheckReport report = await NetcheckCommand.RunAsync(
            NetLabHosts.StunEndPoint, NetLabHosts.NatBLan, portMapping: true, (f, t, p) => lab.RunIn(NetLabHosts.Proxy, () => new Socket(f, t, p)), cts.Token);

        using JsonDocument json = JsonDocument.Parse(NetcheckCommand.ToJson(report));
        JsonElement j = json.RootElement;
        Assert.Equal("AddressPortDependent", j.GetProperty("mapping").GetString());
        Assert.Equal("AddressPortDependent", j.GetProperty("filtering").GetString());
        Assert.Equal(15, j.GetProperty("natType").GetInt32());
        Assert.Equal("StrictlyLimited", j.GetProperty("traversal").GetString());
        Assert.Equal("Unlimited", j.GetProperty("effectiveTraversal").GetString());
        Assert.Equal(["Pcp", "NatPmp", "UpnpIgd"], j.GetProperty("portMappingProtocols").EnumerateArray().Select(e => e.GetString()!));
        Assert.StartsWith("198.51.100.102:", j.GetProperty("mappedAddress").GetString(), StringComparison.Ordinal);
        Assert.StartsWith("198.51.100.102:", j.GetProperty("publicAddress").GetString(), StringComparison.Ordinal);
        Assert.NotEmpty(j.GetProperty("stunRttMs").EnumerateArray());

        var table = new StringWriter();
        NetcheckCommand.WriteTable(report, table);
        Assert.Contains("AddressPortDependent", table.ToString(), StringComparison.Ordinal);
        Assert.Contains("Pcp, NatPmp, UpnpIgd", table.ToString(), StringComparison.Ordinal);
        Assert.Contains("via Pcp", table.ToString(), StringComparison.Ordinal);
    }
}
