using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;

namespace Inroad.Cli.Tests;

/// <summary>
/// Runs <c>inroad demo</c> as a separate process, as a newcomer would, and fetches a page from a local web server
/// through the SOCKS5 port it prints; then stops it with SIGINT (Ctrl-C) and expects a clean exit.
/// </summary>
public sealed partial class DemoProcessTests
{
    [GeneratedRegex(@"^SOCKS5 127\.0\.0\.1:(\d+)$", RegexOptions.Multiline)]
    private static partial Regex SocksLine();

    [GeneratedRegex(@"^HTTP   127\.0\.0\.1:(\d+)$", RegexOptions.Multiline)]
    private static partial Regex HttpLine();

    [Fact]
    public async Task Inroad_demo_prints_a_SOCKS_port_that_fetches_a_local_page_and_stops_on_ctrl_c()
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(TimeSpan.FromSeconds(120));
        CancellationToken ct = cts.Token;

        using var web = new TcpListener(IPAddress.Loopback, 0);
        web.Start();
        const string body = "hello from behind the proxy";
        Task server = ServeOnePageAsync(web, body, ct);

        string dll = Path.Combine(AppContext.BaseDirectory, "Inroad.Cli.dll");
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string a in new[] { dll, "demo", "--socks-port", "0", "--http-port", "0" })
        {
            start.ArgumentList.Add(a);
        }

        using Process process = Process.Start(start)!;
        var output = new StringBuilder();
        var errors = new StringBuilder();
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) =>
        {
            lock (output)
            {
                output.AppendLine(e.Data);
                if (e.Data?.StartsWith("Ctrl-C", StringComparison.Ordinal) == true)
                {
                    ready.TrySetResult();
                }
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            lock (errors)
            {
                errors.AppendLine(e.Data);
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await ready.Task.WaitAsync(TimeSpan.FromSeconds(60), ct);
            string text;
            lock (output)
            {
                text = output.ToString();
            }

            int socks = int.Parse(SocksLine().Match(text).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            Assert.Matches(HttpLine(), text);
            Assert.Contains($"curl -x socks5h://127.0.0.1:{socks} ", text, StringComparison.Ordinal);

            using var http = new HttpClient(new SocketsHttpHandler { Proxy = new WebProxy($"socks5://127.0.0.1:{socks}"), UseProxy = true });
            string page = await http.GetStringAsync(new Uri($"http://{web.LocalEndpoint}/"), ct);
            Assert.Equal(body, page);

            // Ctrl-C: the demo shuts every role down and exits 0.
            using (Process kill = Process.Start("kill", ["-INT", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!)
            {
                await kill.WaitForExitAsync(ct);
            }

            using var exit = CancellationTokenSource.CreateLinkedTokenSource(ct);
            exit.CancelAfter(TimeSpan.FromSeconds(30));
            await process.WaitForExitAsync(exit.Token);
            Assert.True(process.ExitCode == 0, $"exit {process.ExitCode}\n{output}\n{errors}");
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }

        await server;
    }

    private static async Task ServeOnePageAsync(TcpListener listener, string body, CancellationToken ct)
    {
        using TcpClient client = await listener.AcceptTcpClientAsync(ct);
        NetworkStream s = client.GetStream();
        byte[] buffer = new byte[4096];
        var request = new StringBuilder();
        while (!request.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
        {
            int n = await s.ReadAsync(buffer, ct);
            if (n == 0)
            {
                return;
            }

            request.Append(Encoding.ASCII.GetString(buffer, 0, n));
        }

        byte[] bytes = Encoding.UTF8.GetBytes(body);
        await s.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {bytes.Length}\r\nConnection: close\r\n\r\n"), ct);
        await s.WriteAsync(bytes, ct);
    }
}
