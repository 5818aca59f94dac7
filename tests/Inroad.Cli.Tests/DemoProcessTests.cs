using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;

namespace Inroad.Cli.Tests;

/// <summary>
/// Runs <c>inroad demo</c> as a separate process, as a newcomer would, and fetches a page from a local web server
/// through the SOCKS5 port it prints; then stops it with SIGINT (Ctrl-C) and expects a clean exit.
/// </summary>
public sealed class DemoProcessTests
{
    [Fact]
    public async Task Inroad_demo_prints_a_SOCKS_port_that_fetches_a_local_page_and_stops_on_ctrl_c()
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(TimeSpan.FromSeconds(120));
        CancellationToken ct = cts.Token;
        const string body = "hello from behind the proxy";
        using var web = new LocalWeb(body);

        await using CliProcess demo = CliProcess.Start("demo", "--socks-port", "0", "--http-port", "0");
        Match socks = await demo.WaitForLineAsync(@"^SOCKS5 127\.0\.0\.1:(\d+)$", TimeSpan.FromSeconds(60), ct);
        await demo.WaitForLineAsync("^Ctrl-C stops", TimeSpan.FromSeconds(10), ct);
        int port = int.Parse(socks.Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.Matches(@"(?m)^HTTP   127\.0\.0\.1:\d+$", demo.Output);
        Assert.Contains($"curl -x socks5h://127.0.0.1:{port} ", demo.Output, StringComparison.Ordinal);
        Assert.Matches(@"tunnel   up in \d+\.\d\d s", demo.Output);

        using var http = new HttpClient(new SocketsHttpHandler { Proxy = new WebProxy($"socks5://127.0.0.1:{port}"), UseProxy = true });
        Assert.Equal(body, await http.GetStringAsync(web.Url, ct));

        await demo.InterruptAsync(TimeSpan.FromSeconds(30), ct);
        Assert.True(demo.ExitCode == 0, $"exit {demo.ExitCode}\n{demo.Output}");
        Assert.Contains("inroad demo: stopping", demo.Output, StringComparison.Ordinal);
    }
}
