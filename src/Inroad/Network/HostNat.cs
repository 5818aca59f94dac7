using System.Globalization;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using Inroad.Nat;
using Inroad.Nat.Discovery;
using Inroad.Nat.PortMapping;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Inroad.Network;

/// <summary>
/// What this host knows about its NAT, shared by the proxy's loops and the client's dials: the port-mapping
/// protocols its gateway speaks (probed once, cached, probed again after a network change or a failed mapping)
/// and its RFC 5780 NAT type (discovered in the background; unknown until then). Readers never wait: the metrics
/// of an announcement or offer take whatever is known at that moment (design §7).
/// </summary>
internal sealed partial class HostNat : IAsyncDisposable
{
    private readonly HostNatOptions _options;
    private readonly IUdpPortMapper? _mapper;
    private readonly NatDiscoveryCache _discoveries;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _disposed = new();
    private readonly Lock _lock = new();

    // guarded by _lock
    private Task<IReadOnlyList<PortMappingProtocol>>? _probe;
    private long _probeStarted;
    private int _generation;
    private bool _started;
    private Task _discovery = Task.CompletedTask;

    private volatile IReadOnlyList<int> _portMappingTypes = [];
    private int _natType; // wire form; Volatile

    /// <summary>Creates the state; validates <paramref name="options"/>. Nothing is sent before <see cref="Start"/> or a mapping request.</summary>
    public HostNat(HostNatOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _time = options.TimeProvider;
        _logger = (options.LoggerFactory ?? NullLoggerFactory.Instance).CreateLogger("Inroad.Network");
        _discoveries = new NatDiscoveryCache(options.Discovery.ResultLifetime, _time);
        if (options.PortMapping.Enabled)
        {
            _mapper = options.Mapper ?? new GatewayPortMapper(new PortMapper(new PortMapperOptions
            {
                Gateway = options.PortMapping.Gateway,
                ProbeTimeout = options.PortMapping.ProbeTimeout,
                EnablePcp = options.PortMapping.EnablePcp,
                EnableNatPmp = options.PortMapping.EnableNatPmp,
                EnableUpnp = options.PortMapping.EnableUpnp,
                TimeProvider = _time,
                LoggerFactory = options.LoggerFactory,
            }));
        }
    }

    /// <summary>The NAT type as last discovered on this network; unknown until discovery finishes (or when it is off).</summary>
    public Protocol.NatType NatType => Protocol.NatType.FromWire(Volatile.Read(ref _natType));

    /// <summary>The port-mapping protocols the gateway answered at the last probe (design §2.2 PortMappingType values).</summary>
    public IReadOnlyList<int> PortMappingTypes => _portMappingTypes;

    /// <summary>Whether mapping requests are made at all.</summary>
    public bool PortMappingEnabled => _mapper is not null;

    /// <summary>Completes when the current discovery run ends (tests and status lines).</summary>
    internal Task DiscoveryCompletion
    {
        get
        {
            lock (_lock)
            {
                return _discovery;
            }
        }
    }

    /// <summary>Starts the background probe and discovery and watches for network changes. Idempotent; returns at once.</summary>
    public void Start()
    {
        lock (_lock)
        {
            if (_started || _disposed.IsCancellationRequested)
            {
                return;
            }

            _started = true;
        }

        if (_options.WatchNetworkChanges)
        {
            NetworkChange.NetworkAddressChanged += OnNetworkAddressChanged;
        }

        Refresh();
    }

    /// <summary>
    /// Forgets the probe and the NAT type and starts both again (a network change: another gateway, another NAT).
    /// The metrics read unknown / none until the new results arrive.
    /// </summary>
    public void OnNetworkChanged()
    {
        lock (_lock)
        {
            _generation++;
            _probe = null;
        }

        _portMappingTypes = [];
        Volatile.Write(ref _natType, 0);
        _discoveries.Clear();
        LogNetworkChanged(_logger);
        Refresh();
    }

    /// <summary>
    /// A free local UDP port mapped at the gateway with the best protocol it answered, or null (mapping off, no
    /// protocol, refusal, timeout): the caller then gathers normal candidates. Never throws but for
    /// <paramref name="cancellationToken"/>; bounded by <see cref="PortMappingSettings.MapTimeout"/> once the probe is known.
    /// </summary>
    /// <remarks>
    /// With <paramref name="waitForProbe"/> false a probe still running (or not yet made) counts as no mapping, so a
    /// client's dial never waits for the gateway; the probe then goes on in the background for the next dial.
    /// </remarks>
    public async Task<MappedUdpPort?> TryMapUdpPortAsync(bool waitForProbe, CancellationToken cancellationToken)
    {
        if (_mapper is null || _disposed.IsCancellationRequested)
        {
            return null;
        }

        IReadOnlyList<PortMappingProtocol> protocols;
        int generation;
        try
        {
            Task<(IReadOnlyList<PortMappingProtocol>, int)> probe = ProbeAsync(cancellationToken);
            if (!waitForProbe && !probe.IsCompleted)
            {
                _ = probe.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
                return null;
            }

            (protocols, generation) = await probe.ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return null; // disposed
        }

        if (protocols.Count == 0)
        {
            return null;
        }

        long start = _time.GetTimestamp();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _disposed.Token);
        timeout.CancelAfter(_options.PortMapping.MapTimeout);
        foreach (PortMappingProtocol protocol in protocols)
        {
            int port;
            try
            {
                port = FreeUdpPort();
            }
            catch (SocketException e)
            {
                LogMapFailed(_logger, protocol, e.Message);
                return null;
            }

            try
            {
                IUdpPortLease lease = await _mapper.MapUdpAsync(port, protocol, timeout.Token).ConfigureAwait(false);
                TimeSpan took = _time.GetElapsedTime(start);
                LogMapped(_logger, protocol, port, lease.ExternalEndPoint, took.TotalMilliseconds);
                return new MappedUdpPort(port, lease, took);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw;
            }
            catch (Exception e) when (e is NatException or OperationCanceledException or SocketException or IOException or TimeoutException or HttpRequestException)
            {
                LogMapFailed(_logger, protocol, e is OperationCanceledException ? "timed out" : e.Message);
                if (timeout.IsCancellationRequested)
                {
                    break;
                }
            }
        }

        // What the probe promised did not work: ask again next time rather than trust it for its whole lifetime.
        ForgetProbe(generation);
        return null;
    }

    /// <summary>
    /// Waits for the first probe since <see cref="Start"/> (a proxy's announcements after its precheck wait for it, so
    /// the broker sees the port mapping from the first one on). Bounded by the probe's own timeouts; never throws but for
    /// <paramref name="cancellationToken"/>; returns at once when mapping is off or the probe is done.
    /// </summary>
    public async Task WaitForFirstProbeAsync(CancellationToken cancellationToken)
    {
        if (_mapper is null)
        {
            return;
        }

        Task? probe;
        lock (_lock)
        {
            probe = _probe;
        }

        if (probe is null or { IsCompleted: true })
        {
            return;
        }

        try
        {
            // Probes run concurrently with a per-protocol timeout; the bound here only guards against a mapper that ignores it.
            await probe.WaitAsync(_options.PortMapping.ProbeTimeout * 2, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed.IsCancellationRequested)
        {
            return;
        }

        NetworkChange.NetworkAddressChanged -= OnNetworkAddressChanged;
        await _disposed.CancelAsync().ConfigureAwait(false);
        Task discovery;
        Task? probe;
        lock (_lock)
        {
            discovery = _discovery;
            probe = _probe;
        }

        try
        {
            await Task.WhenAll(discovery, probe ?? Task.CompletedTask).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The probe or discovery saw the disposal.
        }
    }

    /// <summary>Splits <c>host:port</c> or <c>[v6]:port</c>.</summary>
    internal static bool TrySplitHostPort(string? value, out string host, out int port)
    {
        host = "";
        port = 0;
        if (string.IsNullOrWhiteSpace(value))
        {
            return false;
        }

        int colon = value.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(value.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535)
        {
            return false;
        }

        host = value[..colon].Trim('[', ']');
        return host.Length > 0;
    }

    /// <summary>The wire NAT type of a discovery result (the enums share their values).</summary>
    internal static Protocol.NatType ToWire(Nat.Discovery.NatType type) =>
        new((Protocol.NatBehavior)(byte)type.Mapping, (Protocol.NatBehavior)(byte)type.Filtering);

    private void OnNetworkAddressChanged(object? sender, EventArgs e) => OnNetworkChanged();

    private void Refresh()
    {
        if (_mapper is not null)
        {
            _ = ProbeInBackgroundAsync();
        }

        if (_options.Discovery.Enabled && (_options.Discovery.StunServers.Count > 0 || _options.Discover is not null))
        {
            lock (_lock)
            {
                int generation = _generation;
                Task previous = _discovery;
                _discovery = Task.Run(async () =>
                {
                    await previous.ConfigureAwait(false); // one run at a time; a stale one ends quickly or is ignored
                    await DiscoverAsync(generation).ConfigureAwait(false);
                });
            }
        }
    }

    private async Task ProbeInBackgroundAsync()
    {
        try
        {
            _ = await ProbeAsync(_disposed.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Disposed.
        }
    }

    // The cached probe (one at a time; callers wait on it with their own token, it runs on the host's).
    private async Task<(IReadOnlyList<PortMappingProtocol> Protocols, int Generation)> ProbeAsync(CancellationToken cancellationToken)
    {
        Task<IReadOnlyList<PortMappingProtocol>> probe;
        int generation;
        lock (_lock)
        {
            long now = _time.GetTimestamp();
            if (_probe is null || (_probe.IsCompleted && _time.GetElapsedTime(_probeStarted, now) > _options.PortMapping.ProbeLifetime))
            {
                _probeStarted = now;
                _probe = RunProbeAsync(_generation);
            }

            probe = _probe;
            generation = _generation;
        }

        return (await probe.WaitAsync(cancellationToken).ConfigureAwait(false), generation);
    }

    private async Task<IReadOnlyList<PortMappingProtocol>> RunProbeAsync(int generation)
    {
        await Task.Yield();
        long start = _time.GetTimestamp();
        IReadOnlyList<PortMappingProtocol> found;
        try
        {
            found = await _mapper!.ProbeAsync(_disposed.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is NatException or SocketException or IOException or HttpRequestException or TimeoutException
            || (e is OperationCanceledException && !_disposed.IsCancellationRequested))
        {
            LogProbeFailed(_logger, e.Message);
            found = [];
        }

        lock (_lock)
        {
            if (generation == _generation)
            {
                _portMappingTypes = found.Select(p => (int)p).ToArray();
            }
        }

        LogProbed(_logger, found.Count == 0 ? "none" : string.Join(", ", found), _time.GetElapsedTime(start).TotalMilliseconds);
        return found;
    }

    private void ForgetProbe(int generation)
    {
        lock (_lock)
        {
            if (generation == _generation && _probe is { IsCompleted: true })
            {
                _probe = null;
            }
        }
    }

    private async Task DiscoverAsync(int generation)
    {
        string network = NetworkId();
        CancellationToken ct = _disposed.Token;
        try
        {
            if (_options.Discover is { } discover)
            {
                Publish(generation, await _discoveries.GetOrDiscoverAsync(network, discover, ct).ConfigureAwait(false));
                return;
            }

            foreach (string server in _options.Discovery.StunServers)
            {
                NatDiscoveryResult result = await _discoveries.GetOrDiscoverAsync(network, c => DiscoverWithAsync(server, c), ct).ConfigureAwait(false);
                if (Publish(generation, result))
                {
                    return;
                }

                LogDiscoveryIncomplete(_logger, server, result.Error ?? "incomplete");
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Disposed.
        }
        catch (Exception e) when (e is SocketException or IOException)
        {
            LogDiscoveryIncomplete(_logger, "?", e.Message);
        }
    }

    // True when the result is complete (and published unless a network change made it stale).
    private bool Publish(int generation, NatDiscoveryResult result)
    {
        if (!result.Supported || result.Type.IsUnknown)
        {
            return false;
        }

        lock (_lock)
        {
            if (generation != _generation)
            {
                return true;
            }

            Volatile.Write(ref _natType, ToWire(result.Type).ToWire());
        }

        LogDiscovered(_logger, result.Type.ToString());
        return true;
    }

    private async Task<NatDiscoveryResult> DiscoverWithAsync(string server, CancellationToken ct)
    {
        if (!TrySplitHostPort(server, out string host, out int port))
        {
            return new NatDiscoveryResult { Error = "not host:port" };
        }

        IPAddress? address;
        if (!IPAddress.TryParse(host, out address))
        {
            using var resolve = CancellationTokenSource.CreateLinkedTokenSource(ct);
            resolve.CancelAfter(_options.Discovery.RoundTripTimeout);
            try
            {
                IPAddress[] all = await Dns.GetHostAddressesAsync(host, AddressFamily.InterNetwork, resolve.Token).ConfigureAwait(false);
                address = all.FirstOrDefault();
            }
            catch (Exception e) when (e is SocketException || (e is OperationCanceledException && !ct.IsCancellationRequested))
            {
                return new NatDiscoveryResult { Error = $"cannot resolve {host}" };
            }
        }

        if (address is null)
        {
            return new NatDiscoveryResult { Error = $"no IPv4 address for {host}" };
        }

        return await NatDiscovery.DiscoverAsync(
            new NatDiscoveryOptions
            {
                Server = new IPEndPoint(address, port),
                RoundTripTimeout = _options.Discovery.RoundTripTimeout,
                OverallTimeout = _options.Discovery.OverallTimeout,
                TimeProvider = _time,
                LoggerFactory = _options.LoggerFactory,
            },
            ct).ConfigureAwait(false);
    }

    // Results are kept per network: the default gateway stands for it (a new Wi-Fi has another one).
    private static string NetworkId()
    {
        try
        {
            foreach (NetworkInterface nic in NetworkInterface.GetAllNetworkInterfaces())
            {
                if (nic.OperationalStatus != OperationalStatus.Up)
                {
                    continue;
                }

                foreach (GatewayIPAddressInformation gateway in nic.GetIPProperties().GatewayAddresses)
                {
                    if (gateway.Address.AddressFamily == AddressFamily.InterNetwork && !gateway.Address.Equals(IPAddress.Any))
                    {
                        return gateway.Address.ToString();
                    }
                }
            }
        }
        catch (NetworkInformationException)
        {
        }

        return "";
    }

    // The kernel picks an unused port; the peer connection binds it right after (a race lost there falls back to normal candidates).
    // Dual-stack when it can (the peer connection binds [::] when the OS has IPv6), else IPv4 (IPv6 disabled on the host).
    private static int FreeUdpPort()
    {
        if (Socket.OSSupportsIPv6)
        {
            try
            {
                using var dual = new Socket(AddressFamily.InterNetworkV6, SocketType.Dgram, ProtocolType.Udp) { DualMode = true };
                dual.Bind(new IPEndPoint(IPAddress.IPv6Any, 0));
                return ((IPEndPoint)dual.LocalEndPoint!).Port;
            }
            catch (SocketException)
            {
            }
        }

        using var v4 = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        v4.Bind(new IPEndPoint(IPAddress.Any, 0));
        return ((IPEndPoint)v4.LocalEndPoint!).Port;
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Port mapping: gateway offers {Protocols} (probe {Ms:0} ms)")]
    private static partial void LogProbed(ILogger logger, string protocols, double ms);

    [LoggerMessage(EventId = 2, Level = LogLevel.Debug, Message = "Port mapping: probe failed: {Reason}")]
    private static partial void LogProbeFailed(ILogger logger, string reason);

    [LoggerMessage(EventId = 3, Level = LogLevel.Information, Message = "Port mapping: {Protocol} maps UDP {Port} to {External} in {Ms:0} ms")]
    private static partial void LogMapped(ILogger logger, PortMappingProtocol protocol, int port, IPEndPoint external, double ms);

    [LoggerMessage(EventId = 4, Level = LogLevel.Debug, Message = "Port mapping: {Protocol} failed, normal candidates only: {Reason}")]
    private static partial void LogMapFailed(ILogger logger, PortMappingProtocol protocol, string reason);

    [LoggerMessage(EventId = 5, Level = LogLevel.Information, Message = "NAT discovery: {Type}")]
    private static partial void LogDiscovered(ILogger logger, string type);

    [LoggerMessage(EventId = 6, Level = LogLevel.Debug, Message = "NAT discovery with {Server} incomplete: {Reason}")]
    private static partial void LogDiscoveryIncomplete(ILogger logger, string server, string reason);

    [LoggerMessage(EventId = 7, Level = LogLevel.Debug, Message = "Network changed: port mapping probe and NAT type forgotten")]
    private static partial void LogNetworkChanged(ILogger logger);
}
