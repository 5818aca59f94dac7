using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Inroad.Testing;
using Inroad.Testing.NetLab;
using Xunit.Sdk;

namespace Inroad.Cli.Tests.Lab;

/// <summary>
/// The whole in-proxy path through a real port mapping, every role an <c>inroad</c> process in its own namespace of the
/// lab: broker and tunnel server on the lab's internet, the proxy behind natB (symmetric, miniupnpd), the client behind
/// natA (symmetric). Two symmetric NATs cannot meet by hole punching; the proxy's mapped host candidate makes them.
/// With mapping off the same pair does not connect, so the test can fail.
/// </summary>
public sealed partial class PortMappingPathLabTests : IDisposable
{
    private const int BrokerPort = 8080;
    private const int ServerPort = 8400;
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("inroad-lab-pm-");

    public void Dispose() => _dir.Delete(recursive: true);

    [GeneratedRegex(@"Port mapping: (\w+) maps UDP (\d+) to ([\d.]+):(\d+) in (\d+) ms")]
    private static partial Regex MappedLine();

    [GeneratedRegex(@"connected after \d+ attempt\(s\) in (\d+) ms .*proxy at \[?(?:::ffff:)?([\d.]+)\]?:(\d+)\)")]
    private static partial Regex DialedLine();

    [GeneratedRegex(@"server_tunnel connection_id=\S+ proxy_id=\S+ .*proxy_port_mapping=(\S+) .*bytes_up=(\d+) bytes_down=(\d+)")]
    private static partial Regex TunnelRecord();

    [Fact]
    public async Task Symmetric_client_reaches_a_symmetric_proxy_only_through_its_port_mapping()
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        await using NetLab lab = await NetLab.CreateAsync(
            new NetLabTopology { NatA = NatBehavior.Symmetric, NatB = NatBehavior.Symmetric, UpnpRouters = [NetLabHosts.NatB] }, cts.Token);
        cts.CancelAfter(TimeSpan.FromSeconds(200)); // after CreateAsync: its wait for the machine-wide lab lock has its own bound
        CancellationToken ct = cts.Token;
        ITestOutputHelper? log = TestContext.Current.TestOutputHelper;
        var total = Stopwatch.StartNew();

        // An echo service beside the tunnel server (its loopback, allowed by denyTargets: []).
        using TcpListener echo = lab.RunIn(NetLabHosts.Server, () =>
        {
            var l = new TcpListener(IPAddress.Loopback, 0);
            l.Start();
            return l;
        });
        _ = EchoLoopAsync(echo, ct);
        int echoPort = ((IPEndPoint)echo.LocalEndpoint).Port;
        Files files = WriteFiles();

        // 1. With the port mapping: the tunnel comes up through the mapped address and carries 1 MiB byte for byte.
        await using (Roles mapped = await Roles.StartAsync(lab, files, mapping: true, ct))
        {
            Match map = await mapped.Proxy.WaitAsync(MappedLine(), TimeSpan.FromSeconds(60), ct);
            Match dialed = await mapped.Client.WaitAsync(DialedLine(), TimeSpan.FromSeconds(60), ct);
            await mapped.Client.WaitAsync(TunnelConnected(), TimeSpan.FromSeconds(30), ct);
            var external = new IPEndPoint(IPAddress.Parse(map.Groups[3].Value), int.Parse(map.Groups[4].Value, CultureInfo.InvariantCulture));
            Assert.Equal(NetLabHosts.NatBWan, external.Address);
            Assert.Equal(external, new IPEndPoint(IPAddress.Parse(dialed.Groups[2].Value), int.Parse(dialed.Groups[3].Value, CultureInfo.InvariantCulture)));
            TimeSpan tunnelUp = mapped.ClientStarted.Elapsed;

            var sw = Stopwatch.StartNew();
            using Socket socket = lab.RunIn(NetLabHosts.Client, () => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp));
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, 1080), ct);
            await using var stream = new NetworkStream(socket, ownsSocket: false);
            await SocksConnectAsync(stream, new IPEndPoint(IPAddress.Loopback, echoPort), ct);
            await stream.WriteAsync(new byte[] { 42 }, ct);
            byte[] one = new byte[1];
            await stream.ReadExactlyAsync(one, ct);
            TimeSpan firstByte = sw.Elapsed;
            Assert.Equal(42, one[0]);

            byte[] data = new byte[1 << 20];
            new Random(8).NextBytes(data);
            sw.Restart();
            Task write = stream.WriteAsync(data, ct).AsTask();
            byte[] back = new byte[data.Length];
            await stream.ReadExactlyAsync(back, ct);
            await write;
            TimeSpan bulk = sw.Elapsed;
            Assert.Equal(data, back);
            socket.Shutdown(SocketShutdown.Both);

            // Both ran RFC 5780 discovery against coturn in the background and found their symmetric NATs.
            Match proxyNat = await mapped.Proxy.WaitAsync(NatDiscovered(), TimeSpan.FromSeconds(30), ct);
            Match clientNat = await mapped.Client.WaitAsync(NatDiscovered(), TimeSpan.FromSeconds(30), ct);
            Assert.Equal("AddressPortDependent", proxyNat.Groups[1].Value);
            Assert.Equal("AddressPortDependent", clientNat.Groups[1].Value);

            // The tunnel's record at the server names the proxy's port mapping (the broker's report carries the proxy's metrics).
            await mapped.Client.InterruptAsync(ct);
            Match record = await mapped.Server.WaitAsync(TunnelRecord(), TimeSpan.FromSeconds(30), ct);
            Assert.Contains("Pcp", record.Groups[1].Value, StringComparison.Ordinal);
            Assert.True(long.Parse(record.Groups[2].Value, CultureInfo.InvariantCulture) > data.Length, record.Value);
            Match probe = ProbeLine().Match(mapped.Proxy.Output);
            log?.WriteLine(
                $"probe: {(probe.Success ? probe.Value : "?")}; mapped: {map.Groups[1].Value} UDP {map.Groups[2].Value} -> {external} in {map.Groups[5].Value} ms; client dial {dialed.Groups[1].Value} ms, " +
                $"tunnel up {tunnelUp.TotalMilliseconds:0} ms after the client started; first echoed byte {firstByte.TotalMilliseconds:0} ms after the SOCKS connect; " +
                $"1 MiB echoed in {bulk.TotalMilliseconds:0} ms; NAT discovery: proxy {proxyNat.Value}, client {clientNat.Value}; record: {record.Value}");
        }

        // 2. The same pair with mapping off: ICE cannot get through two symmetric NATs, the client never connects.
        await using (Roles unmapped = await Roles.StartAsync(lab, files, mapping: false, ct))
        {
            await unmapped.Client.WaitAsync(WebRtcFailed(), TimeSpan.FromSeconds(60), ct);
            Assert.DoesNotMatch(TunnelConnected(), unmapped.Client.Output);
            Assert.DoesNotMatch(MappedLine(), unmapped.Proxy.Output);
            log?.WriteLine($"unmapped: first WebRTC failure {unmapped.ClientStarted.Elapsed.TotalMilliseconds:0} ms after the client started; no tunnel; both phases {total.Elapsed.TotalSeconds:0} s");
        }
    }

    [GeneratedRegex("^tunnel connected", RegexOptions.Multiline)]
    private static partial Regex TunnelConnected();

    [GeneratedRegex(@"gateway offers .* \(probe \d+ ms\)")]
    private static partial Regex ProbeLine();

    [GeneratedRegex(@"NAT discovery: (\w+)/(\w+)")]
    private static partial Regex NatDiscovered();

    [GeneratedRegex("local WebRTC failure")]
    private static partial Regex WebRtcFailed();

    private Files WriteFiles()
    {
        Dictionary<string, string> signing = FourRolesProcessTests.Keygen("--kind", "signing-key");
        Dictionary<string, string> brokerKey = FourRolesProcessTests.Keygen("--kind", "identity");
        Dictionary<string, string> brokerSecret = FourRolesProcessTests.Keygen("--kind", "secret");
        Dictionary<string, string> serverKey = FourRolesProcessTests.Keygen("--kind", "identity");
        Dictionary<string, string> serverSecret = FourRolesProcessTests.Keygen("--kind", "secret");
        Dictionary<string, string> compartment = FourRolesProcessTests.Keygen("--kind", "compartment");
        string server = Write("server.json", new JsonObject
        {
            ["listen"] = $"{NetLabHosts.ServerAddress}:{ServerPort}",
            ["sessionPrivateKey"] = serverKey["privateKey"],
            ["obfuscationSecret"] = serverSecret["obfuscationSecret"],
            ["brokerPublicKeys"] = new JsonArray(brokerKey["publicKey"]),
            ["denyTargets"] = new JsonArray(),
        });
        Dictionary<string, string> entry = FourRolesProcessTests.Keygen("--kind", "server-entry", "--server", server, "--signing-seed", signing["signingSeed"], "--tag", "lab-pm");
        string broker = Write("broker.json", new JsonObject
        {
            ["listen"] = $"{NetLabHosts.BrokerAddress}:{BrokerPort}",
            ["sessionPrivateKey"] = brokerKey["privateKey"],
            ["obfuscationSecret"] = brokerSecret["obfuscationSecret"],
            ["serverEntrySigningPublicKey"] = signing["signingPublicKey"],
            ["validServerEntryTags"] = new JsonArray("lab-pm"),
            ["commonCompartmentIds"] = new JsonArray(compartment["compartmentId"]),
            ["allowBogonCandidates"] = true, // the lab's addresses are documentation and benchmark ranges
        });
        return new Files(
            server,
            broker,
            mapping => Write($"proxy-{mapping}.json", new JsonObject
            {
                ["brokers"] = BrokerSpec(),
                ["keyFile"] = "proxy.key",
                ["maxCommonClients"] = 1,
                ["portMapping"] = new JsonObject { ["enabled"] = mapping, ["gateway"] = NetLabHosts.NatBLan.ToString() },
                ["natDiscovery"] = new JsonObject { ["stunServers"] = new JsonArray($"{NetLabHosts.StunPrimary}:3478") },
            }),
            Write("client.json", new JsonObject
            {
                ["brokers"] = BrokerSpec(),
                ["serverEntry"] = entry["serverEntry"],
                ["commonCompartmentIds"] = new JsonArray(compartment["compartmentId"]),
                ["socksListen"] = "127.0.0.1:1080",
                ["httpListen"] = "127.0.0.1:8080",
                ["portMapping"] = new JsonObject { ["enabled"] = false },
                ["natDiscovery"] = new JsonObject { ["stunServers"] = new JsonArray($"{NetLabHosts.StunPrimary}:3478") },
            }));

        JsonArray BrokerSpec() => new(new JsonObject
        {
            ["endpoint"] = $"http://{NetLabHosts.BrokerAddress}:{BrokerPort}/inroad-broker",
            ["publicKey"] = brokerKey["publicKey"],
            ["obfuscationSecret"] = brokerSecret["obfuscationSecret"],
        });
    }

    private string Write(string name, JsonObject json)
    {
        string path = Path.Combine(_dir.FullName, name);
        File.WriteAllText(path, json.ToJsonString());
        return path;
    }

    private static async Task SocksConnectAsync(NetworkStream stream, IPEndPoint target, CancellationToken ct)
    {
        await stream.WriteAsync(new byte[] { 5, 1, 0 }, ct);
        byte[] method = new byte[2];
        await stream.ReadExactlyAsync(method, ct);
        Assert.Equal(new byte[] { 5, 0 }, method);
        byte[] request = [5, 1, 0, 1, .. target.Address.GetAddressBytes(), (byte)(target.Port >> 8), (byte)target.Port];
        await stream.WriteAsync(request, ct);
        byte[] reply = new byte[10];
        await stream.ReadExactlyAsync(reply, ct);
        Assert.Equal(0, reply[1]);
    }

    private static async Task EchoLoopAsync(TcpListener listener, CancellationToken ct)
    {
        try
        {
            while (true)
            {
                Socket s = await listener.AcceptSocketAsync(ct);
                _ = Task.Run(
                    async () =>
                    {
                        using (s)
                        {
                            await using var n = new NetworkStream(s);
                            try
                            {
                                await n.CopyToAsync(n, ct);
                            }
                            catch (Exception e) when (e is IOException or OperationCanceledException)
                            {
                            }
                        }
                    },
                    CancellationToken.None);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
        {
            // Test over.
        }
    }

    private sealed record Files(string Server, string Broker, Func<bool, string> Proxy, string Client);

    /// <summary>The four roles of one run, each <c>inroad</c> in its namespace; disposing kills what is left.</summary>
    private sealed class Roles : IAsyncDisposable
    {
        private Roles(Role broker, Role server, Role proxy, Role client, Stopwatch clientStarted)
        {
            Broker = broker;
            Server = server;
            Proxy = proxy;
            Client = client;
            ClientStarted = clientStarted;
        }

        public Role Broker { get; }

        public Role Server { get; }

        public Role Proxy { get; }

        public Role Client { get; }

        public Stopwatch ClientStarted { get; }

        public static async Task<Roles> StartAsync(NetLab lab, Files files, bool mapping, CancellationToken ct)
        {
            var started = new List<Role>();
            try
            {
                Role broker = Role.Start(lab, NetLabHosts.Broker, "broker", files.Broker, started);
                Role server = Role.Start(lab, NetLabHosts.Server, "server", files.Server, started);
                await broker.WaitAsync(new Regex("^broker listening on ", RegexOptions.Multiline), TimeSpan.FromSeconds(60), ct);
                await server.WaitAsync(new Regex("^server: in-proxy listener on ", RegexOptions.Multiline), TimeSpan.FromSeconds(60), ct);
                Role proxy = Role.Start(lab, NetLabHosts.Proxy, "proxy", files.Proxy(mapping), started);
                await proxy.WaitAsync(new Regex("^proxy ID ", RegexOptions.Multiline), TimeSpan.FromSeconds(60), ct);
                var clientStarted = Stopwatch.StartNew();
                Role client = Role.Start(lab, NetLabHosts.Client, "client", files.Client, started);
                return new Roles(broker, server, proxy, client, clientStarted);
            }
            catch
            {
                foreach (Role r in started)
                {
                    await r.DisposeAsync();
                }

                throw;
            }
        }

        public async ValueTask DisposeAsync()
        {
            foreach (Role r in new[] { Client, Proxy, Server, Broker })
            {
                await r.DisposeAsync();
            }
        }
    }

    /// <summary>One <c>inroad</c> process in a lab namespace (logs at debug level, stdout and stderr searched together).</summary>
    private sealed class Role(LabProcess process, string name) : IAsyncDisposable
    {
        public string Output => process.StandardOutput + process.StandardError;

        public static Role Start(NetLab lab, string host, string role, string config, List<Role> started)
        {
            LabProcess p = lab.Start(host, ["env", "INROAD_LOG=debug", .. SigintDisposition.Wrap(["dotnet", Path.Combine(AppContext.BaseDirectory, "Inroad.Cli.dll"), role, "--config", config])]);
            var r = new Role(p, role);
            started.Add(r);
            return r;
        }

        public async Task<Match> WaitAsync(Regex pattern, TimeSpan timeout, CancellationToken ct)
        {
            using var bound = CancellationTokenSource.CreateLinkedTokenSource(ct);
            bound.CancelAfter(timeout);
            while (true)
            {
                Match m = pattern.Match(Output);
                if (m.Success)
                {
                    return m;
                }

                if (process.HasExited)
                {
                    throw new XunitException($"{name} exited before printing /{pattern}/:\n{Output}");
                }

                try
                {
                    await Task.Delay(50, bound.Token);
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                    throw new XunitException($"{name} printed no /{pattern}/ within {timeout}:\n{Tail(Output)}");
                }
            }
        }

        /// <summary>Ctrl-C, as an operator would stop it; waits up to 20 s for the exit.</summary>
        public async Task InterruptAsync(CancellationToken ct)
        {
            using (Process kill = Process.Start("kill", ["-INT", process.Id.ToString(CultureInfo.InvariantCulture)])!)
            {
                await kill.WaitForExitAsync(ct);
            }

            _ = await process.WaitAsync(TimeSpan.FromSeconds(20), ct);
        }

        public ValueTask DisposeAsync() => process.DisposeAsync();

        private static string Tail(string s) => s.Length <= 6000 ? s : s[^6000..];
    }
}
