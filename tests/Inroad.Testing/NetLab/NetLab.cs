using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Inroad.Testing.NetLab;

/// <summary>
/// One running instance of the namespace lab (<c>scripts/netlab.sh</c>), owned by one test. Labs are
/// serialized machine-wide (a <c>flock</c> on <c>/run/inroad-netlab.lock</c>), get a unique namespace prefix, and are
/// torn down on dispose; labs left by a crashed run are removed by the next <see cref="CreateAsync"/>
/// (<c>netlab.sh gc</c> removes every lab whose owner process is gone).
/// </summary>
/// <example><code>
/// await using var lab = await NetLab.CreateAsync(new() { NatA = NatBehavior.Symmetric }, ct);
/// using Socket s = lab.OpenUdpSocket(NetLabHosts.Client, new IPEndPoint(IPAddress.Any, 0));
/// </code></example>
public sealed class NetLab : IAsyncDisposable
{
    private static int s_counter;
    private readonly NetLabLock _lock;
    private readonly List<LabProcess> _processes = [];
    private readonly Dictionary<string, NatBehavior> _modes = new(StringComparer.Ordinal);
    private bool _disposed;

    private NetLab(NetLabLock @lock, string script, string prefix, NetLabTopology topology)
    {
        _lock = @lock;
        ScriptPath = script;
        Prefix = prefix;
        Topology = topology;
        _modes[NetLabHosts.NatA] = topology.NatA;
        _modes[NetLabHosts.NatB] = topology.NatB;
    }

    /// <summary>The namespace name prefix of this lab (unique per process and lab).</summary>
    public string Prefix { get; }

    /// <summary>The topology the lab was built with.</summary>
    public NetLabTopology Topology { get; }

    /// <summary>Path of the lab script in use.</summary>
    public string ScriptPath { get; }

    /// <summary>
    /// Builds a lab. Skips the test (fails under <c>CI=true</c>) when root or a needed package is missing.
    /// Queues for the machine-wide lab lock (first come first served) for as long as <paramref name="ct"/> allows and the
    /// queue moves: it throws <see cref="TimeoutException"/> only when the queue ahead stands still for
    /// <paramref name="lockTimeout"/> (defaults to 5 minutes, longer than any one lab holds the lock).
    /// </summary>
    public static async Task<NetLab> CreateAsync(NetLabTopology? topology = null, CancellationToken ct = default, TimeSpan? lockTimeout = null)
    {
        topology ??= new NetLabTopology();
        RequirePrerequisites(topology);
        string script = FindScript();
        NetLabLock labLock = await NetLabLock.AcquireAsync(lockTimeout ?? TimeSpan.FromMinutes(5), ct).ConfigureAwait(false);
        int n = Interlocked.Increment(ref s_counter);
        string prefix = string.Create(CultureInfo.InvariantCulture, $"i{Environment.ProcessId:x}n{n}-");
        var lab = new NetLab(labLock, script, prefix, topology);
        try
        {
            await lab.ScriptAsync(["gc"], TimeSpan.FromSeconds(60), ct).ConfigureAwait(false);
            var up = new List<string> { "up", "--nat-a", ModeName(topology.NatA), "--nat-b", ModeName(topology.NatB) };
            if (!topology.Stun)
            {
                up.Add("--no-stun");
            }

            up.Add("--upnp");
            up.Add(topology.UpnpRouters.Count == 0 ? "none" : string.Join(',', topology.UpnpRouters));
            ProcessResult r = await lab.ScriptAsync(up, TimeSpan.FromSeconds(60), ct).ConfigureAwait(false);
            if (r.ExitCode != 0)
            {
                throw new InvalidOperationException("netlab up failed: " + r);
            }

            return lab;
        }
        catch
        {
            await lab.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>The namespace name of a lab host (e.g. <c>i1a2bn1-client</c>).</summary>
    public string Namespace(string host) => Prefix + host;

    /// <summary>Current behaviour of a NAT router.</summary>
    public NatBehavior ModeOf(string router) => _modes[router];

    /// <summary>Runs <paramref name="body"/> on a dedicated thread inside <paramref name="host"/>'s namespace.</summary>
    public T RunIn<T>(string host, Func<T> body) => Netns.Run(Namespace(host), body);

    /// <summary>Opens a UDP socket bound in <paramref name="host"/>'s namespace; usable from any thread afterwards.</summary>
    public Socket OpenUdpSocket(string host, IPEndPoint bind)
    {
        ArgumentNullException.ThrowIfNull(bind);
        return RunIn(host, () =>
        {
            var s = new Socket(bind.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            try
            {
                s.Bind(bind);
                return s;
            }
            catch
            {
                s.Dispose();
                throw;
            }
        });
    }

    /// <summary>Runs a command in <paramref name="host"/>'s namespace and waits for it (killed at <paramref name="timeout"/>).</summary>
    public async Task<ProcessResult> ExecAsync(string host, IEnumerable<string> command, TimeSpan timeout, CancellationToken ct)
    {
        LabProcess p = Start(host, command);
        try
        {
            return await p.WaitAsync(timeout, ct).ConfigureAwait(false);
        }
        finally
        {
            lock (_processes)
            {
                _processes.Remove(p);
            }

            await p.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Starts a background command in <paramref name="host"/>'s namespace; it is killed when the lab is disposed.</summary>
    public LabProcess Start(string host, IEnumerable<string> command)
    {
        ArgumentNullException.ThrowIfNull(command);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var info = new ProcessStartInfo("ip");
        info.ArgumentList.Add("netns");
        info.ArgumentList.Add("exec");
        info.ArgumentList.Add(Namespace(host));
        foreach (string arg in command)
        {
            info.ArgumentList.Add(arg);
        }

        var p = new LabProcess(info);
        lock (_processes)
        {
            _processes.Add(p);
        }

        return p;
    }

    /// <summary>Switches a router's NAT behaviour live (re-creates its rules and flushes its conntrack).</summary>
    public async Task SetNatAsync(string router, NatBehavior behavior, CancellationToken ct)
    {
        ProcessResult r = await ScriptAsync(["nat", router, ModeName(behavior)], TimeSpan.FromSeconds(30), ct).ConfigureAwait(false);
        if (r.ExitCode != 0)
        {
            throw new InvalidOperationException("netlab nat failed: " + r);
        }

        _modes[router] = behavior;
    }

    /// <summary>Flushes a router's connection tracking (forgets every NAT mapping).</summary>
    public async Task FlushConntrackAsync(string router, CancellationToken ct) =>
        await ExecAsync(router, ["conntrack", "-F"], TimeSpan.FromSeconds(10), ct).ConfigureAwait(false);

    /// <summary>Impairs an interface of a host (e.g. <c>natA</c>/<c>eth0</c>): delay, jitter, loss, rate.</summary>
    public async Task ImpairAsync(string host, string iface, NetLabImpairment impairment, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(impairment);
        var args = new List<string>
        {
            "impair", host, iface,
            "--delay", impairment.DelayMs.ToString(CultureInfo.InvariantCulture),
            "--jitter", impairment.JitterMs.ToString(CultureInfo.InvariantCulture),
            "--loss", impairment.LossPercent.ToString(CultureInfo.InvariantCulture),
            "--dir", impairment.Direction,
            "--seed", impairment.Seed.ToString(CultureInfo.InvariantCulture),
        };
        if (impairment.Rate is not null)
        {
            args.Add("--rate");
            args.Add(impairment.Rate);
        }

        ProcessResult r = await ScriptAsync(args, TimeSpan.FromSeconds(30), ct).ConfigureAwait(false);
        if (r.ExitCode != 0)
        {
            throw new InvalidOperationException("netlab impair failed: " + r);
        }
    }

    /// <summary>Removes every impairment from a host.</summary>
    public async Task UnimpairAsync(string host, CancellationToken ct) =>
        await ScriptAsync(["unimpair", host], TimeSpan.FromSeconds(30), ct).ConfigureAwait(false);

    /// <summary>Runs <c>netlab.sh</c> with this lab's prefix.</summary>
    public async Task<ProcessResult> ScriptAsync(IEnumerable<string> args, TimeSpan timeout, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(args);
        var info = new ProcessStartInfo("bash");
        info.ArgumentList.Add(ScriptPath);
        foreach (string a in args)
        {
            info.ArgumentList.Add(a);
        }

        info.Environment["NETLAB_PREFIX"] = Prefix;
        info.Environment["NETLAB_OWNER_PID"] = Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        await using var p = new LabProcess(info);
        return await p.WaitAsync(timeout, ct).ConfigureAwait(false);
    }

    /// <summary>Kills processes started through the lab, tears the lab down, releases the machine-wide lock.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        try
        {
            LabProcess[] processes;
            lock (_processes)
            {
                processes = [.. _processes];
                _processes.Clear();
            }

            foreach (LabProcess p in processes)
            {
                await p.DisposeAsync().ConfigureAwait(false);
            }

            await ScriptAsync(["down"], TimeSpan.FromSeconds(60), CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            _lock.Dispose();
        }
    }

    /// <summary>The script's name for a behaviour.</summary>
    public static string ModeName(NatBehavior behavior) => behavior switch
    {
        NatBehavior.FullCone => "fullcone",
        NatBehavior.Restricted => "restricted",
        NatBehavior.PortRestricted => "portrestricted",
        NatBehavior.Symmetric => "symmetric",
        _ => throw new ArgumentOutOfRangeException(nameof(behavior)),
    };

    private static void RequirePrerequisites(NetLabTopology topology)
    {
        Prerequisites.RequireRoot("network namespaces for the NAT lab");
        Prerequisites.RequireCommand("ip", "iproute2");
        Prerequisites.RequireCommand("nft", "nftables");
        Prerequisites.RequireCommand("bash", "bash");
        if (topology.Stun)
        {
            Prerequisites.RequireCommand("turnserver", "coturn");
        }

        if (topology.UpnpRouters.Count > 0)
        {
            Prerequisites.RequireCommand("miniupnpd", "miniupnpd-nftables");
        }
    }

    private static string FindScript()
    {
        string beside = Path.Combine(AppContext.BaseDirectory, "netlab", "netlab.sh");
        if (File.Exists(beside))
        {
            return beside;
        }

        for (DirectoryInfo? d = new(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            string candidate = Path.Combine(d.FullName, "scripts", "netlab.sh");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException("scripts/netlab.sh not found near " + AppContext.BaseDirectory);
    }
}
