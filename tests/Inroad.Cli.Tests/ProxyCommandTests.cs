using System.CommandLine;
using System.Text.RegularExpressions;
using Inroad.Cli.Commands;
using Inroad.Sessions.Keys;
using Inroad.Sessions.Obfuscation;

namespace Inroad.Cli.Tests;

public sealed partial class ProxyCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("inroad-proxy-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [GeneratedRegex(@"^proxy ID (\S+)")]
    private static partial Regex ProxyIdLine();

    private string Config(string extra = "")
    {
        // A broker address where nothing listens (port 1, outside the ephemeral range, so no other test's listener
        // can get it): the proxy starts, retries quietly, and stops on cancel.
        // No port mapping or NAT discovery: tests talk to no gateway and no STUN server outside loopback.
        const int port = 1;
        using SessionPrivateKey broker = SessionPrivateKey.Generate();
        string path = Path.Combine(_dir, "proxy.json");
        File.WriteAllText(path, $$"""
            { "brokers": [ { "endpoint": "http://127.0.0.1:{{port}}/inroad-broker", "publicKey": "{{broker.PublicKey}}",
                             "obfuscationSecret": "{{ObfuscationSecret.Generate().Export()}}" } ],
              "keyFile": "proxy.key", "portMapping": { "enabled": false }, "natDiscovery": { "enabled": false } {{extra}} }
            """);
        return path;
    }

    private static async Task<(int Exit, string Output, string Error)> RunAsync(string config, TimeSpan runFor)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(runFor);
        var output = new StringWriter();
        var error = new StringWriter();
        int exit = await InroadCommand.Create().Parse(["proxy", "--config", config])
            .InvokeAsync(new InvocationConfiguration { Output = output, Error = error }, cts.Token)
            .WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        return (exit, output.ToString(), error.ToString());
    }

    [Fact]
    public async Task The_proxy_id_is_created_once_and_kept_across_runs()
    {
        string config = Config();
        (int exit, string output, _) = await RunAsync(config, TimeSpan.FromSeconds(1.5));
        Assert.Equal(ExitCodes.Success, exit);
        Assert.Contains("new key written", output, StringComparison.Ordinal);
        string id = ProxyIdLine().Match(output).Groups[1].Value;
        Assert.NotEmpty(id);
        Assert.True(File.Exists(Path.Combine(_dir, "proxy.key")));

        (exit, output, _) = await RunAsync(config, TimeSpan.FromSeconds(1));
        Assert.Equal(ExitCodes.Success, exit);
        Assert.DoesNotContain("new key", output, StringComparison.Ordinal);
        Assert.Equal(id, ProxyIdLine().Match(output).Groups[1].Value);
    }

    [Fact]
    public async Task A_bad_configuration_is_a_usage_error_naming_the_field()
    {
        (int exit, _, string error) = await RunAsync(Config(""", "maxCommonClients": 0"""), TimeSpan.FromSeconds(10));
        Assert.Equal(ExitCodes.Usage, exit);
        Assert.Contains("maxCommonClients", error, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_dir, "proxy.key")));
    }
}
