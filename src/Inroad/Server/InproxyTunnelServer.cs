using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Inroad.Broker.Matching;
using Inroad.Server.BrokerReports;
using Inroad.Server.Quality;
using Inroad.Sessions.Streams;
using Inroad.Tunnel;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Inroad.Server;

/// <summary>
/// A tunnel server's in-proxy TCP listener (design §5). Each connection comes from a proxy relaying one client:
/// the secure tunnel handshake (random-looking from the first byte; failures are held silently), then the API
/// handshake that carries the broker's report through the client, then multiplexed streams dialed under the
/// <see cref="TargetPolicy"/>. The broker-reported client address, not the proxy's, drives GeoIP and the one
/// <c>server_tunnel</c> record logged when the tunnel ends. With a <see cref="ProxyQualityReporter"/>, each tunnel is
/// followed from its verified handshake until it meets the quality targets (then its proxy is reported) or ends.
/// </summary>
internal sealed partial class InproxyTunnelServer : IAsyncDisposable
{
    private readonly InproxyTunnelServerOptions _options;
    private readonly Socket _listener;
    private readonly SecureTunnelServer _secure;
    private readonly TargetDialer _dialer;
    private readonly ILogger _logger;
    private readonly ILogger _tunnelLog;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _acceptLoop;
    private readonly Lock _lock = new();
    private readonly HashSet<Task> _connections = [];
    private int _active;
    private long _accepted;
    private long _refused;

    private InproxyTunnelServer(InproxyTunnelServerOptions options, Socket listener)
    {
        _options = options;
        _listener = listener;
        _secure = new SecureTunnelServer(options.PrivateKey!, options.ObfuscationSecret!, options.SecureTunnel);
        _dialer = new TargetDialer(options.TargetPolicy);
        _logger = (ILogger?)options.LoggerFactory?.CreateLogger("Inroad.Server") ?? NullLogger.Instance;
        _tunnelLog = (ILogger?)options.LoggerFactory?.CreateLogger("Inroad.Server.Tunnels") ?? NullLogger.Instance;
        LocalEndPoint = (IPEndPoint)listener.LocalEndPoint!;
        _acceptLoop = AcceptLoopAsync(_stop.Token);
    }

    /// <summary>Raised when a tunnel's broker report verified (before any stream opens).</summary>
    public event Action<VerifiedBrokerReport>? TunnelAccepted;

    /// <summary>Raised once per accepted tunnel when it ends, with the record that was logged.</summary>
    public event Action<ServerTunnelRecord>? TunnelEnded;

    /// <summary>Where proxies connect.</summary>
    public IPEndPoint LocalEndPoint { get; }

    /// <summary>Tunnels running now.</summary>
    public int ActiveTunnels => Volatile.Read(ref _active);

    /// <summary>Tunnels whose broker report verified, since start.</summary>
    public long AcceptedTunnels => Interlocked.Read(ref _accepted);

    /// <summary>Connections refused in the API handshake (no verified report), since start.</summary>
    public long RefusedTunnels => Interlocked.Read(ref _refused);

    /// <summary>Validates <paramref name="options"/>, binds the listener and starts accepting.</summary>
    public static InproxyTunnelServer Start(InproxyTunnelServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var listener = new Socket(options.Listen.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            listener.Bind(options.Listen);
            listener.Listen(512);
        }
        catch
        {
            listener.Dispose();
            throw;
        }

        return new InproxyTunnelServer(options, listener);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Dispose();
        await _acceptLoop.ConfigureAwait(false);
        Task[] running;
        lock (_lock)
        {
            running = [.. _connections];
        }

        await Task.WhenAll(running).ConfigureAwait(false);
        _stop.Dispose();
    }

    private async Task AcceptLoopAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException e)
            {
                LogAcceptFailed(_logger, e.SocketErrorCode);
                continue;
            }

            socket.NoDelay = true;
            Task task = ServeAsync(socket, cancellationToken);
            lock (_lock)
            {
                _connections.Add(task);
            }

            _ = task.ContinueWith(
                t =>
                {
                    lock (_lock)
                    {
                        _connections.Remove(t);
                    }
                },
                CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
        }
    }

    private async Task ServeAsync(Socket socket, CancellationToken cancellationToken)
    {
        IPEndPoint peer = (IPEndPoint)socket.RemoteEndPoint!;
        var wire = new CountingStream(new NetworkStream(socket, ownsSocket: true));
        long started = Stopwatch.GetTimestamp();
        await using (wire.ConfigureAwait(false))
        {
            try
            {
                SecureTunnelStream? tunnel = await _secure.AcceptAsync(wire, cancellationToken).ConfigureAwait(false);
                if (tunnel is null)
                {
                    return;
                }

                await using (tunnel.ConfigureAwait(false))
                {
                    VerifiedBrokerReport? report;
                    using (var handshake = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
                    {
                        handshake.CancelAfter(_options.HandshakeTimeout);
                        report = await InproxyApiHandshake.AcceptAsync(tunnel, _options.Reports!, handshake.Token).ConfigureAwait(false);
                    }

                    if (report is null)
                    {
                        Interlocked.Increment(ref _refused);
                        LogRefused(_logger);
                        return;
                    }

                    Interlocked.Increment(ref _accepted);
                    Interlocked.Increment(ref _active);
                    GeoKey client = ClientGeo(report.Report);
                    using var ended = new CancellationTokenSource();
                    Task<bool>? quality = WatchQuality(report.Report, peer, client, wire, ended.Token);
                    try
                    {
                        TunnelAccepted?.Invoke(report);
                        int streams;
                        MuxSession mux = MuxSession.StartServer(tunnel);
                        await using (mux.ConfigureAwait(false))
                        {
                            streams = await TunnelStreamService.RunAsync(mux, _dialer, cancellationToken).ConfigureAwait(false);
                        }

                        bool counted = await StopWatchingAsync(ended, quality).ConfigureAwait(false);
                        Finish(report, client, peer, wire, streams, Stopwatch.GetElapsedTime(started), counted);
                    }
                    finally
                    {
                        Interlocked.Decrement(ref _active);
                        _ = await StopWatchingAsync(ended, quality).ConfigureAwait(false);
                    }
                }
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException or SocketException)
            {
                LogConnectionEnded(_logger, e.GetType().Name);
            }
        }
    }

    // GeoIP of the broker-reported client address: the TCP peer is the proxy, never the client.
    private GeoKey ClientGeo(Protocol.Messages.BrokerServerReport r) =>
        IPAddress.TryParse(r.ClientIp, out IPAddress? clientIp) && _options.Geo is { } geo ? geo.Lookup(clientIp) : GeoKey.Unknown;

    private static IPAddress PeerAddress(IPEndPoint peer) => peer.Address.IsIPv4MappedToIPv6 ? peer.Address.MapToIPv4() : peer.Address;

    // Proxy quality (design §4.5): counted from the verified handshake on, keyed by the proxy's ID and the ASN of the
    // address it connects from, until it qualifies or the tunnel ends. Null when quality reporting is off.
    private Task<bool>? WatchQuality(Protocol.Messages.BrokerServerReport r, IPEndPoint peer, GeoKey client, CountingStream wire, CancellationToken ended)
    {
        if (_options.ProxyQuality is not { } reporter)
        {
            return null;
        }

        uint proxyAsn = _options.Geo is { } geo ? geo.Lookup(PeerAddress(peer)).Asn : 0;
        long up = wire.BytesRead;
        long down = wire.BytesWritten;
        long since = Stopwatch.GetTimestamp();
        return reporter.WatchAsync(
            () => new QualityTunnel(r.ProxyId, proxyAsn, client.Asn, client.CountryCode, r.MatchedPersonalCompartments, wire.BytesRead - up, wire.BytesWritten - down, Stopwatch.GetElapsedTime(since)),
            ended);
    }

    // The tunnel ended: the watch takes one last look at its final counts. True when it was counted as quality.
    private static async Task<bool> StopWatchingAsync(CancellationTokenSource ended, Task<bool>? quality)
    {
        await ended.CancelAsync().ConfigureAwait(false);
        return quality is not null && await quality.ConfigureAwait(false);
    }

    private void Finish(VerifiedBrokerReport verified, GeoKey client, IPEndPoint peer, CountingStream wire, int streams, TimeSpan duration, bool quality)
    {
        Protocol.Messages.BrokerServerReport r = verified.Report;
        bool proxyMatches = IPAddress.TryParse(r.ProxyIp, out IPAddress? proxyIp) && proxyIp.Equals(PeerAddress(peer));
        var record = new ServerTunnelRecord
        {
            ConnectionId = r.ConnectionId.ToHex(),
            ProxyId = r.ProxyId.ToHex(),
            BrokerId = verified.BrokerId.ToString(),
            ClientRegion = client.CountryCode,
            ClientAsn = client.Asn,
            ClientNatType = r.ClientNatType.ToString(),
            ProxyNatType = r.ProxyMetrics?.NatType.ToString() ?? "",
            ProxyPortMapping = PortMappingNames(r.ProxyMetrics?.PortMappingTypes),
            ProxyDtlsFingerprint = r.ProxyDtlsFingerprint ?? "",
            MatchedPersonalCompartment = r.MatchedPersonalCompartments,
            ProxyAddressMatches = proxyMatches,
            BytesUp = wire.BytesRead,
            BytesDown = wire.BytesWritten,
            Streams = streams,
            Duration = duration,
            ProxyQuality = quality,
        };
        LogServerTunnel(
            _tunnelLog, record.ConnectionId, record.ProxyId, record.BrokerId, record.ClientRegion, record.ClientAsn, record.ClientNatType, record.ProxyNatType,
            record.ProxyPortMapping, record.ProxyDtlsFingerprint, record.MatchedPersonalCompartment, record.ProxyAddressMatches, record.BytesUp, record.BytesDown, record.Streams, (long)duration.TotalMilliseconds, quality);
        TunnelEnded?.Invoke(record);
    }

    // PortMappingType values (design §2.2) by name; unknown values by number.
    internal static string PortMappingNames(IReadOnlyList<int>? types) =>
        types is not { Count: > 0 } ? "none" : string.Join('+', types.Select(t => Enum.IsDefined((Inroad.Nat.PortMapping.PortMappingProtocol)t) ? ((Inroad.Nat.PortMapping.PortMappingProtocol)t).ToString() : t.ToString(System.Globalization.CultureInfo.InvariantCulture)));

    [LoggerMessage(EventId = 1, EventName = "server_tunnel", Level = LogLevel.Information,
        Message = "server_tunnel connection_id={ConnectionId} proxy_id={ProxyId} broker_id={BrokerId} client_region={ClientRegion} client_asn={ClientAsn} " +
            "client_nat_type={ClientNatType} proxy_nat_type={ProxyNatType} proxy_port_mapping={ProxyPortMapping} proxy_dtls_fingerprint={ProxyDtlsFingerprint} personal={Personal} " +
            "proxy_address_matches={ProxyAddressMatches} bytes_up={BytesUp} bytes_down={BytesDown} streams={Streams} duration_ms={DurationMs} proxy_quality={ProxyQuality}")]
    private static partial void LogServerTunnel(
        ILogger logger, string connectionId, string proxyId, string brokerId, string clientRegion, uint clientAsn, string clientNatType, string proxyNatType,
        string proxyPortMapping, string proxyDtlsFingerprint, bool personal, bool proxyAddressMatches, long bytesUp, long bytesDown, int streams, long durationMs, bool proxyQuality);

    [LoggerMessage(EventId = 2, Level = LogLevel.Debug, Message = "In-proxy tunnel refused: no verified broker report")]
    private static partial void LogRefused(ILogger logger);

    [LoggerMessage(EventId = 3, Level = LogLevel.Debug, Message = "In-proxy connection ended: {Reason}")]
    private static partial void LogConnectionEnded(ILogger logger, string reason);

    [LoggerMessage(EventId = 4, Level = LogLevel.Warning, Message = "Accept failed: {Error}")]
    private static partial void LogAcceptFailed(ILogger logger, SocketError error);
}
