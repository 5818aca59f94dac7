using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Inroad.Cli.Commands;

namespace Inroad.Cli.Tests;

/// <summary>
/// The four roles as four processes, configured only through files and <c>inroad keygen</c> as an operator would:
/// broker, tunnel server, proxy and client on loopback; a page fetched through the client's SOCKS5 port.
/// </summary>
public sealed partial class FourRolesProcessTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("inroad-roles-");

    public void Dispose() => _dir.Delete(recursive: true);

    [GeneratedRegex(@"^(\w+): (\S+)$", RegexOptions.Multiline)]
    private static partial Regex KeyLine();

    internal static Dictionary<string, string> Keygen(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int exit = InroadCommand.Create().Parse(["keygen", .. args]).Invoke(new InvocationConfiguration { Output = output, Error = error });
        Assert.True(exit == 0, error.ToString());
        return KeyLine().Matches(output.ToString()).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value);
    }

    private string Write(string name, JsonObject json)
    {
        string path = Path.Combine(_dir.FullName, name);
        File.WriteAllText(path, json.ToJsonString());
        return path;
    }

    [Fact]
    public async Task Broker_server_proxy_and_client_processes_configured_by_files_carry_a_page()
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(TimeSpan.FromSeconds(150));
        CancellationToken ct = cts.Token;
        TimeSpan wait = TimeSpan.FromSeconds(60);

        Dictionary<string, string> signing = Keygen("--kind", "signing-key");
        Dictionary<string, string> brokerKey = Keygen("--kind", "identity");
        Dictionary<string, string> brokerSecret = Keygen("--kind", "secret");
        Dictionary<string, string> serverKey = Keygen("--kind", "identity");
        Dictionary<string, string> serverSecret = Keygen("--kind", "secret");
        Dictionary<string, string> compartment = Keygen("--kind", "compartment");

        var server = new JsonObject
        {
            ["listen"] = "127.0.0.1:0", // the entry is made once the server says which port it got
            ["sessionPrivateKey"] = serverKey["privateKey"],
            ["obfuscationSecret"] = serverSecret["obfuscationSecret"],
            ["brokerPublicKeys"] = new JsonArray(brokerKey["publicKey"]),
            ["denyTargets"] = new JsonArray(), // the page is on loopback
        };
        string serverConfig = Write("server.json", server);

        string brokerConfig = Write("broker.json", new JsonObject
        {
            ["listen"] = "127.0.0.1:0",
            ["sessionPrivateKey"] = brokerKey["privateKey"],
            ["obfuscationSecret"] = brokerSecret["obfuscationSecret"],
            ["serverEntrySigningPublicKey"] = signing["signingPublicKey"],
            ["validServerEntryTags"] = new JsonArray("lab-1"),
            ["commonCompartmentIds"] = new JsonArray(compartment["compartmentId"]),
            ["allowBogonCandidates"] = true,
            ["proxyQuality"] = new JsonObject { ["enabled"] = true, ["prioritizeFilter"] = new JsonObject { ["network_type"] = new JsonArray("*") } },
        });

        await using CliProcess broker = CliProcess.Start("broker", "--config", brokerConfig);
        string brokerUrl = (await broker.WaitForLineAsync(@"^broker listening on (\S+)$", wait, ct)).Groups[1].Value;
        JsonObject BrokerSpec() => new()
        {
            ["endpoint"] = brokerUrl,
            ["publicKey"] = brokerKey["publicKey"],
            ["obfuscationSecret"] = brokerSecret["obfuscationSecret"],
        };

        // Now that the broker's URL is known, the server reports proxy quality to it.
        server["proxyQuality"] = new JsonObject { ["enabled"] = true, ["brokers"] = new JsonArray(BrokerSpec()), ["requestDelaySeconds"] = 0.2 };
        _ = Write("server.json", server);
        await using CliProcess serverProcess = CliProcess.Start("server", "--config", serverConfig);
        string listening = (await serverProcess.WaitForLineAsync(@"^server: in-proxy listener on (127\.0\.0\.1:\d+); proxy quality reported to 1 broker", wait, ct)).Groups[1].Value;

        // The entry names the port the server listens on (a port picked beforehand could be taken by then).
        server["listen"] = listening;
        Dictionary<string, string> entry = Keygen("--kind", "server-entry", "--server", Write("server.json", server), "--signing-seed", signing["signingSeed"], "--tag", "lab-1");
        Assert.Equal("lab-1", entry["tag"]);
        string proxyConfig = Write("proxy.json", new JsonObject
        {
            ["brokers"] = new JsonArray(BrokerSpec()),
            ["keyFile"] = "proxy.key",
            ["maxCommonClients"] = 2,
            ["includeLoopback"] = true,
            ["portMapping"] = new JsonObject { ["enabled"] = false }, // loopback only: no gateway, no STUN server
            ["natDiscovery"] = new JsonObject { ["enabled"] = false },
        });
        string clientConfig = Write("client.json", new JsonObject
        {
            ["brokers"] = new JsonArray(BrokerSpec()),
            ["serverEntry"] = entry["serverEntry"],
            ["commonCompartmentIds"] = new JsonArray(compartment["compartmentId"]),
            ["socksListen"] = "127.0.0.1:0",
            ["httpListen"] = "127.0.0.1:0",
            ["includeLoopback"] = true,
            ["portMapping"] = new JsonObject { ["enabled"] = false }, // loopback only: no gateway, no STUN server
            ["natDiscovery"] = new JsonObject { ["enabled"] = false },
        });

        await using CliProcess proxy = CliProcess.Start("proxy", "--config", proxyConfig);
        await proxy.WaitForLineAsync("^proxy ID ", wait, ct);
        Assert.True(File.Exists(Path.Combine(_dir.FullName, "proxy.key")), "the proxy did not persist its identity");
        await using CliProcess client = CliProcess.Start("client", "--config", clientConfig);
        int socks = int.Parse((await client.WaitForLineAsync(@"^SOCKS5 127\.0\.0\.1:(\d+)$", wait, ct)).Groups[1].Value, CultureInfo.InvariantCulture);
        await client.WaitForLineAsync(@"^tunnel connected", wait, ct);

        const string body = "four roles, four processes";
        using var web = new LocalWeb(body);
        using var http = new HttpClient(new SocketsHttpHandler { Proxy = new WebProxy($"socks5://127.0.0.1:{socks}"), UseProxy = true });
        Assert.Equal(body, await http.GetStringAsync(web.Url, ct));

        // The server logged the tunnel against the proxy's ID once the client leaves.
        await client.InterruptAsync(TimeSpan.FromSeconds(30), ct);
        Assert.Equal(0, client.ExitCode);
        await serverProcess.WaitForLineAsync("server_tunnel connection_id=[0-9a-f]{64} proxy_id=[0-9a-f]{64} .* proxy_quality=True", wait, ct);
        await serverProcess.WaitForLineAsync("Proxy quality: 1 proxy keys reported to ", wait, ct); // the broker took the server's report
        foreach (CliProcess p in new[] { proxy, serverProcess, broker })
        {
            await p.InterruptAsync(TimeSpan.FromSeconds(30), ct);
            Assert.True(p.ExitCode == 0, p.Output);
        }
    }
}
