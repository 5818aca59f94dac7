using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Inroad.Testing.Browser;

/// <summary>
/// One headless Chromium and the tiny HTTP server it talks to on 127.0.0.1: GET / serves the test page,
/// POST /mbox/NAME stores a value, GET /mbox/NAME long-polls for it (200 with the value, 204 after 10 s),
/// POST /log appends a line to <see cref="Log"/>. The test side uses <see cref="Put"/> and <see cref="TakeAsync"/>
/// on the same mailbox. Dispose kills the browser's process tree and deletes its temporary profile.
/// To run the browser inside a lab namespace, create the harness on a thread in that namespace
/// (<c>lab.RunIn(host, () =&gt; BrowserHarness.Start(page))</c>: the listener's socket then lives there) and launch
/// it with the <c>ip netns exec NAME</c> prefix.
/// </summary>
public sealed class BrowserHarness : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly ConcurrentDictionary<string, TaskCompletionSource<string>> _mailbox = new();
    private readonly ConcurrentQueue<string> _log = new();
    private readonly ConcurrentQueue<string> _stderr = new();
    private readonly string _page;
    private readonly string _profile;
    private readonly Task _serving;
    private Process? _browser;

    private BrowserHarness(string page, int port)
    {
        _page = page;
        BaseUrl = $"http://127.0.0.1:{port}/";
        _listener.Prefixes.Add(BaseUrl);
        _listener.Start();
        _profile = Directory.CreateTempSubdirectory("inroad-chromium-").FullName;
        _serving = Task.Run(ServeAsync);
    }

    /// <summary>The page's address (<c>http://127.0.0.1:PORT/</c>).</summary>
    public string BaseUrl { get; }

    /// <summary>Process id of the browser (the root of its process tree), once launched.</summary>
    public int? ProcessId => _browser?.Id;

    /// <summary>Lines the page posted to /log, then the browser's last stderr lines (for failure messages).</summary>
    public string Log => string.Join('\n', _log) + "\n--- chromium stderr (tail) ---\n" + string.Join('\n', _stderr.TakeLast(30));

    /// <summary>Starts the page server on a free 127.0.0.1 port (in the calling thread's network namespace).</summary>
    public static BrowserHarness Start(string page)
    {
        for (int attempt = 0; ; attempt++)
        {
            // HttpListener cannot bind port 0: pick a free port and retry if someone takes it meanwhile.
            var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            int port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
            try
            {
                return new BrowserHarness(page, port);
            }
            catch (HttpListenerException) when (attempt < 5)
            {
            }
        }
    }

    /// <summary>
    /// Starts Chromium headless on <see cref="BaseUrl"/> + <paramref name="query"/>, optionally behind a command
    /// prefix such as <c>["ip", "netns", "exec", NAME]</c> (which execs Chromium, so the process id stays its own).
    /// </summary>
    public void Launch(string chromium, string query, IReadOnlyList<string>? prefix = null)
    {
        var start = new ProcessStartInfo(prefix is { Count: > 0 } ? prefix[0] : chromium)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        if (prefix is { Count: > 0 })
        {
            foreach (string arg in prefix.Skip(1).Append(chromium))
            {
                start.ArgumentList.Add(arg);
            }
        }

        foreach (string arg in (string[])[
            "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--disable-dev-shm-usage", "--no-default-browser-check", "--disable-default-apps",
            "--disable-features=WebRtcHideLocalIpsWithMdns", "--force-webrtc-ip-handling-policy=default",
            "--allow-loopback-in-peer-connection", $"--user-data-dir={_profile}", BaseUrl + query])
        {
            start.ArgumentList.Add(arg);
        }

        _browser = Process.Start(start) ?? throw new InvalidOperationException("chromium did not start");
        _browser.ErrorDataReceived += (_, e) => Keep(e.Data);
        _browser.OutputDataReceived += (_, e) => Keep(e.Data);
        _browser.BeginErrorReadLine();
        _browser.BeginOutputReadLine();
    }

    /// <summary>CPU seconds (user + system) used so far by the browser's live process tree, read from /proc; 0 before launch.</summary>
    public double ProcessTreeCpuSeconds() => _browser is null ? 0 : ProcCpu.TreeSeconds(_browser.Id);

    /// <summary>Stores <paramref name="value"/> in mailbox slot <paramref name="name"/> (the page's GET /mbox/NAME returns it).</summary>
    public void Put(string name, string value) => Slot(name).TrySetResult(value);

    /// <summary>Waits for the page to POST /mbox/<paramref name="name"/>; a timeout names the slot and shows the page log.</summary>
    public async Task<string> TakeAsync(string name, CancellationToken cancellationToken)
    {
        try
        {
            return await Slot(name).Task.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"no '{name}' from the browser in time; page log:\n{Log}");
        }
    }

    /// <summary>Kills the browser's process tree, stops the page server, deletes the profile.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_browser is not null)
        {
            try
            {
                _browser.Kill(entireProcessTree: true);
                using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                await _browser.WaitForExitAsync(wait.Token);
            }
            catch (Exception e) when (e is InvalidOperationException or OperationCanceledException or System.ComponentModel.Win32Exception)
            {
            }

            _browser.Dispose();
        }

        _listener.Close();
        await _serving.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        for (int attempt = 0; attempt < 5 && Directory.Exists(_profile); attempt++)
        {
            try
            {
                Directory.Delete(_profile, recursive: true);
            }
            catch (IOException)
            {
                await Task.Delay(200);
            }
        }
    }

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }

        _stderr.Enqueue(line);
        while (_stderr.Count > 200)
        {
            _stderr.TryDequeue(out _);
        }
    }

    private TaskCompletionSource<string> Slot(string name) =>
        _mailbox.GetOrAdd(name, _ => new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously));

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            _ = Task.Run(() => HandleAsync(context));
        }
    }

    private async Task HandleAsync(HttpListenerContext context)
    {
        HttpListenerRequest request = context.Request;
        HttpListenerResponse response = context.Response;
        try
        {
            string path = request.Url!.AbsolutePath;
            response.Headers["Cache-Control"] = "no-store";
            if (request.HttpMethod == "POST")
            {
                using var reader = new StreamReader(request.InputStream, Encoding.UTF8);
                string body = await reader.ReadToEndAsync();
                if (path.StartsWith("/mbox/", StringComparison.Ordinal))
                {
                    Put(path["/mbox/".Length..], body);
                }
                else
                {
                    _log.Enqueue(body);
                }

                response.StatusCode = 204;
            }
            else if (path.StartsWith("/mbox/", StringComparison.Ordinal))
            {
                Task<string> value = Slot(path["/mbox/".Length..]).Task;
                if (await Task.WhenAny(value, Task.Delay(TimeSpan.FromSeconds(10))) == value)
                {
                    await WriteAsync(response, "text/plain", value.Result);
                }
                else
                {
                    response.StatusCode = 204;
                }
            }
            else if (path == "/")
            {
                await WriteAsync(response, "text/html; charset=utf-8", _page);
            }
            else
            {
                response.StatusCode = 404;
            }
        }
        catch (Exception e) when (e is HttpListenerException or IOException or ObjectDisposedException or InvalidOperationException)
        {
        }
        finally
        {
            try
            {
                response.Close();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
            }
        }
    }

    private static async Task WriteAsync(HttpListenerResponse response, string contentType, string text)
    {
        byte[] body = Encoding.UTF8.GetBytes(text);
        response.StatusCode = 200;
        response.ContentType = contentType;
        response.ContentLength64 = body.Length;
        await response.OutputStream.WriteAsync(body);
    }
}
