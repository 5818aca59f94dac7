using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Inroad.Testing;

namespace Inroad.Testing.Browser;

/// <summary>Which browser a <see cref="BrowserHarness"/> runs.</summary>
public enum BrowserKind
{
    Chromium,
    Firefox,
}

/// <summary>
/// One headless browser (Chromium or Firefox ESR) and the tiny HTTP server it talks to (127.0.0.1, or an address
/// inside a lab namespace where the browser then runs too): GET / serves the test page (<see cref="BrowserPage"/>),
/// POST /mbox/NAME stores a value, GET /mbox/NAME long-polls for it (200 with the value, 204 after 10 s),
/// POST /log appends a line to <see cref="Log"/>. The page puts /mbox/ready (its user agent) first, so
/// <see cref="LaunchAsync"/> bounds the start; then one browser serves many jobs (<see cref="StartJob"/>), each with a
/// fresh RTCPeerConnection, and <see cref="Put"/> / <see cref="TakeAsync"/> address the current job's mailbox.
/// Dispose kills the browser's process tree and deletes its temporary profile.
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
    private readonly string? _namespace;
    private Process? _browser;
    private int _job;
    private string _prefix = "0/";

    private BrowserHarness(BrowserKind kind, string page, IPAddress address, int port, string? netns)
    {
        Kind = kind;
        _page = page;
        _namespace = netns;
        Address = address;
        BaseUrl = $"http://{address}:{port}/";
        _listener.Prefixes.Add(BaseUrl);

        // The listening socket is made in Start: inside the lab namespace when the browser runs there.
        if (netns is null)
        {
            _listener.Start();
        }
        else
        {
            _ = Inroad.Testing.NetLab.Netns.Run(netns, () =>
            {
                _listener.Start();
                return 0;
            });
        }

        _profile = Directory.CreateTempSubdirectory($"inroad-{kind.ToString().ToLowerInvariant()}-").FullName;
        _serving = Task.Run(ServeAsync);
    }

    public BrowserKind Kind { get; }

    /// <summary>The address the page is served from (the browser's own address in a lab namespace).</summary>
    public IPAddress Address { get; }

    public string BaseUrl { get; }

    /// <summary>Process id of the browser (the root of its process tree), once launched.</summary>
    public int? ProcessId => _browser?.Id;

    /// <summary>CPU seconds (user + system) used so far by the browser's live process tree, read from /proc; 0 before launch.</summary>
    public double ProcessTreeCpuSeconds() => _browser is null ? 0 : ProcCpu.TreeSeconds(_browser.Id);

    /// <summary>True while the launched browser process runs.</summary>
    public bool IsRunning => _browser is { HasExited: false };

    /// <summary>The user agent the page reported (after <see cref="LaunchAsync"/>).</summary>
    public string? UserAgent { get; private set; }

    /// <summary>Lines the page posted to /log, then the browser's last stderr lines (for failure messages).</summary>
    public string Log => string.Join('\n', _log) + $"\n--- {Kind} stderr (tail) ---\n" + string.Join('\n', _stderr.TakeLast(30));

    /// <summary>The executable of <paramref name="kind"/>; skips the test when it is not installed (fails under CI).</summary>
    public static string Require(BrowserKind kind) => kind == BrowserKind.Chromium
        ? Prerequisites.RequireCommand("chromium", "chromium")
        : Prerequisites.RequireCommand("firefox-esr", "firefox-esr");

    /// <summary>
    /// Starts the page server for <paramref name="kind"/>: on 127.0.0.1 of this machine, or, with <paramref name="netns"/>,
    /// on <paramref name="address"/> inside that namespace (where <see cref="LaunchAsync"/> then runs the browser).
    /// </summary>
    public static BrowserHarness Start(BrowserKind kind, string page, string? netns = null, IPAddress? address = null)
    {
        address ??= IPAddress.Loopback;
        for (int attempt = 0; ; attempt++)
        {
            // HttpListener cannot bind port 0: pick a port at random and retry if it is taken.
            int port = 20000 + Random.Shared.Next(30000);
            try
            {
                return new BrowserHarness(kind, page, address, port, netns);
            }
            catch (HttpListenerException) when (attempt < 10)
            {
            }
        }
    }

    /// <summary>
    /// Bound on a browser start: Firefox took 7–17 s to load the page on this shared machine alone, and over
    /// 30 s once while the whole test project ran beside it.
    /// </summary>
    private static readonly TimeSpan LaunchTimeout = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Starts the browser headless on <see cref="BaseUrl"/> and waits (at most <see cref="LaunchTimeout"/>) until the page runs.
    /// On failure the process tree is killed by <see cref="DisposeAsync"/>.
    /// </summary>
    public async Task LaunchAsync(string executable, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(_namespace is null ? executable : "ip")
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        if (_namespace is not null)
        {
            foreach (string arg in (string[])["netns", "exec", _namespace, executable])
            {
                start.ArgumentList.Add(arg);
            }
        }

        foreach (string arg in Kind == BrowserKind.Chromium ? ChromiumArguments(BaseUrl) : FirefoxArguments(BaseUrl))
        {
            start.ArgumentList.Add(arg);
        }

        if (Kind == BrowserKind.Firefox)
        {
            start.Environment["MOZ_HEADLESS"] = "1";
            start.Environment["MOZ_CRASHREPORTER_DISABLE"] = "1"; // no crash helper outside the process tree
            start.Environment["HOME"] = _profile;
        }

        _browser = Process.Start(start) ?? throw new InvalidOperationException($"{Kind} did not start");
        _browser.ErrorDataReceived += (_, e) => Keep(e.Data);
        _browser.OutputDataReceived += (_, e) => Keep(e.Data);
        _browser.BeginErrorReadLine();
        _browser.BeginOutputReadLine();
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bound.CancelAfter(LaunchTimeout);
        try
        {
            UserAgent = await Slot("ready").Task.WaitAsync(bound.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"{Kind} did not load the page in {LaunchTimeout.TotalSeconds} s; page log:\n{Log}");
        }
    }

    /// <summary>
    /// Starts the next job in the page: a fresh RTCPeerConnection in <paramref name="role"/> ("offer" or "answer")
    /// running <paramref name="test"/>; with <paramref name="stun"/> ("host:port") as its only ICE server.
    /// </summary>
    public void StartJob(string role, string test, int size = 0, string? stun = null) => StartJob(role, test, size, stun, null);

    /// <summary>As <see cref="StartJob(string, string, int, string?)"/>, with extra numeric job parameters (the oneway test's send, recv, warm, msg).</summary>
    public void StartJob(string role, string test, int size, string? stun, IReadOnlyDictionary<string, long>? parameters)
    {
        var spec = new Dictionary<string, object?> { ["role"] = role, ["test"] = test, ["size"] = size, ["stun"] = stun };
        foreach ((string key, long value) in parameters ?? new Dictionary<string, long>())
        {
            spec[key] = value;
        }

        int n = Interlocked.Increment(ref _job);
        _prefix = $"{n}/";
        Slot($"job/{n}").TrySetResult(System.Text.Json.JsonSerializer.Serialize(spec));
    }

    private string[] ChromiumArguments(string url) =>
    [
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage", "--no-default-browser-check", "--disable-default-apps",
        "--disable-features=WebRtcHideLocalIpsWithMdns", "--force-webrtc-ip-handling-policy=default",
        "--allow-loopback-in-peer-connection", "--disable-breakpad", "--disable-crash-reporter", $"--user-data-dir={_profile}", url,
    ];

    /// <summary>
    /// A fresh profile whose user.js turns off prompts, mDNS host obfuscation, telemetry and updates; ICE may use
    /// loopback (Firefox limits ICE to lo when the page itself is on 127.0.0.1) and the page's address counts as a
    /// secure context (crypto.subtle).
    /// </summary>
    private string[] FirefoxArguments(string url)
    {
        File.WriteAllLines(Path.Combine(_profile, "user.js"), [
            .. ((string[])[
                "media.peerconnection.ice.obfuscate_host_addresses\", false",
                "media.peerconnection.ice.loopback\", true",
                "media.peerconnection.ice.default_address_only\", false",
                "media.peerconnection.ice.no_host\", false",
                "media.peerconnection.ice.proxy_only\", false",
                "media.navigator.permission.disabled\", true",
                $"dom.securecontext.allowlist\", \"{Address}\"",
                "browser.shell.checkDefaultBrowser\", false",
                "datareporting.policy.dataSubmissionEnabled\", false",
                "datareporting.healthreport.uploadEnabled\", false",
                "toolkit.telemetry.enabled\", false",
                "app.update.enabled\", false",
                "app.update.auto\", false",
                "browser.startup.homepage_override.mstone\", \"ignore\"",
                "network.captive-portal-service.enabled\", false",
                "network.connectivity-service.enabled\", false",
                "browser.safebrowsing.malware.enabled\", false",
                "browser.safebrowsing.phishing.enabled\", false",
                "extensions.update.enabled\", false",
                "services.settings.server\", \"http://127.0.0.1:9/\"",
                "network.dns.disableIPv6\", true",
            ]).Select(p => $"user_pref(\"{p});"),
        ]);
        return ["--headless", "--no-remote", "--profile", _profile, url];
    }

    /// <summary>Stores a value in the current job's mailbox.</summary>
    public void Put(string name, string value) => Slot(_prefix + name).TrySetResult(value);

    /// <summary>Waits for a value the page stored in the current job's mailbox.</summary>
    public async Task<string> TakeAsync(string name, CancellationToken cancellationToken)
    {
        try
        {
            return await Slot(_prefix + name).Task.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"no '{_prefix}{name}' from {Kind} in time; page log:\n{Log}");
        }
    }

    /// <summary>True once the page stored <paramref name="name"/> in the current job's mailbox.</summary>
    public bool Has(string name) => Slot(_prefix + name).Task.IsCompleted;

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
                    Slot(path["/mbox/".Length..]).TrySetResult(body);
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
