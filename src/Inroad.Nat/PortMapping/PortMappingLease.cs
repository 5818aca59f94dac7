using System.Net;
using Microsoft.Extensions.Logging;

namespace Inroad.Nat.PortMapping;

/// <summary>
/// A live UDP port mapping. It renews itself at half its lifetime (and at once when the gateway announces that it
/// lost its mappings), and deletes the mapping when disposed. <see cref="ExternalEndPoint"/> is what ICE advertises as an
/// injected host candidate.
/// </summary>
public sealed partial class PortMappingLease : IAsyncDisposable
{
    private readonly IMappingProtocolClient _client;
    private readonly PortMapperOptions _options;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _closed = new();
    private readonly SemaphoreSlim _renewing = new(1, 1);
    private readonly Func<PortMappingLease, ValueTask>? _onDispose;
    private readonly Lock _timerLock = new();
    private long _lastAnnouncementRenewal = long.MinValue; // timestamp; guarded by Interlocked
    private ITimer? _timer; // guarded by _timerLock
    private int _renewAgain; // 1 when an announcement asked for a renewal while one was under way
    private int _announcementRenewals;
    private volatile IPEndPoint _external;

    internal PortMappingLease(
        IMappingProtocolClient client,
        PortMapperOptions options,
        ILogger logger,
        ushort internalPort,
        IPEndPoint external,
        TimeSpan lifetime,
        Func<PortMappingLease, ValueTask>? onDispose = null)
    {
        _onDispose = onDispose;
        _client = client;
        _options = options;
        _logger = logger;
        InternalPort = internalPort;
        _external = external;
        Lifetime = lifetime;
        Schedule(lifetime / 2);
    }

    /// <summary>The protocol that made the mapping.</summary>
    public PortMappingProtocol Protocol => _client.Protocol;

    /// <summary>The local UDP port mapped.</summary>
    public int InternalPort { get; }

    /// <summary>The public address and port that reach <see cref="InternalPort"/>.</summary>
    public IPEndPoint ExternalEndPoint => _external;

    /// <summary>The lifetime the gateway granted last.</summary>
    public TimeSpan Lifetime { get; private set; }

    /// <summary>Number of successful renewals.</summary>
    public int Renewals { get; private set; }

    /// <summary>Number of times a gateway announcement made the lease map again at once.</summary>
    public int AnnouncementRenewals => Volatile.Read(ref _announcementRenewals);

    /// <summary>
    /// Raised after a renewal changed the external endpoint (for instance after the gateway restarted and
    /// handed out another port): ICE should inject the new endpoint as a host candidate.
    /// </summary>
    public event Action<IPEndPoint>? ExternalEndPointChanged;

    /// <summary>Renews now (also done automatically).</summary>
    public async Task RenewAsync(CancellationToken ct)
    {
        await _renewing.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            // A renewal already under way may have been answered by the gateway before it restarted, so an
            // announcement that arrives during it asks for one more (see the end of this method).
            Volatile.Write(ref _renewAgain, 0);
            (IPEndPoint external, TimeSpan lifetime) = await _client.MapUdpAsync((ushort)InternalPort, (ushort)_external.Port, _options.RequestedLifetime, ct).ConfigureAwait(false);
            Lifetime = lifetime;
            Renewals++;
            if (!external.Equals(_external))
            {
                _external = external;
                ExternalEndPointChanged?.Invoke(external);
            }

            // An announcement during this renewal left its own immediate timer, which must not be replaced. (An
            // answer whose epoch shows a server restart needs nothing more: this very MAP re-created the mapping.)
            if (Interlocked.Exchange(ref _renewAgain, 0) == 0)
            {
                Schedule(lifetime / 2);
            }
        }
        finally
        {
            _renewing.Release();
        }
    }

    /// <summary>
    /// An announcement from the gateway (already checked to come from it). When the protocol client says the
    /// mapping is gone or moved, renew at once; announcements closer than a second apart (a spoofer on the LAN,
    /// or the repeated NAT-PMP announcements of RFC 6886 §3.2.1) trigger one renewal only.
    /// </summary>
    internal void OnAnnouncement(GatewayAnnouncement announcement)
    {
        if (_closed.IsCancellationRequested || !_client.HandleAnnouncement(announcement))
        {
            return;
        }

        long now = _options.TimeProvider.GetTimestamp();
        long last = Interlocked.Read(ref _lastAnnouncementRenewal);
        if (last != long.MinValue && _options.TimeProvider.GetElapsedTime(last, now) < TimeSpan.FromSeconds(1))
        {
            return;
        }

        if (Interlocked.CompareExchange(ref _lastAnnouncementRenewal, now, last) == last)
        {
            Interlocked.Increment(ref _announcementRenewals);
            LogAnnouncementRenewal(_logger, Protocol, announcement.Protocol);
            Volatile.Write(ref _renewAgain, 1);
            Schedule(TimeSpan.Zero);
        }
    }

    /// <summary>Stops renewing and deletes the mapping (best effort, bounded by the probe timeout).</summary>
    public async ValueTask DisposeAsync()
    {
        if (_closed.IsCancellationRequested)
        {
            return;
        }

        await _closed.CancelAsync().ConfigureAwait(false);
        ITimer? timer;
        lock (_timerLock)
        {
            timer = _timer;
            _timer = null;
        }

        if (timer is not null)
        {
            await timer.DisposeAsync().ConfigureAwait(false);
        }

        try
        {
            await _renewing.WaitAsync().ConfigureAwait(false);
            using var cts = new CancellationTokenSource(_options.ProbeTimeout * 2);
            await _client.DeleteUdpAsync((ushort)InternalPort, (ushort)_external.Port, cts.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is NatException or OperationCanceledException)
        {
            LogDeleteFailed(_logger, Protocol, ex.Message);
        }
        finally
        {
            await _client.DisposeAsync().ConfigureAwait(false);
            if (_onDispose is not null)
            {
                await _onDispose(this).ConfigureAwait(false);
            }

            _closed.Dispose();
        }
    }

    // Called from the renewal, the announcement listener and the constructor; one timer is live at a time.
    private void Schedule(TimeSpan due)
    {
        lock (_timerLock)
        {
            if (_closed.IsCancellationRequested)
            {
                return;
            }

            _timer?.Dispose();
            _timer = _options.TimeProvider.CreateTimer(_ => _ = RenewInBackgroundAsync(), null, due, Timeout.InfiniteTimeSpan);
        }
    }

    private async Task RenewInBackgroundAsync()
    {
        try
        {
            await RenewAsync(_closed.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is NatException or OperationCanceledException or ObjectDisposedException)
        {
            if (_closed.IsCancellationRequested)
            {
                return;
            }

            LogRenewFailed(_logger, Protocol, ex.Message);
            Schedule(TimeSpan.FromSeconds(Math.Clamp(Lifetime.TotalSeconds / 8, 5, 60)));
        }
    }

    [LoggerMessage(EventId = 721, Level = LogLevel.Warning, Message = "Port mapping ({Protocol}): renewal failed, retrying: {Error}")]
    private static partial void LogRenewFailed(ILogger logger, PortMappingProtocol protocol, string error);

    [LoggerMessage(EventId = 723, Level = LogLevel.Information, Message = "Port mapping ({Protocol}): the gateway's {Announcement} announcement shows it lost the mapping; mapping again")]
    private static partial void LogAnnouncementRenewal(ILogger logger, PortMappingProtocol protocol, PortMappingProtocol announcement);

    [LoggerMessage(EventId = 722, Level = LogLevel.Debug, Message = "Port mapping ({Protocol}): delete failed: {Error}")]
    private static partial void LogDeleteFailed(ILogger logger, PortMappingProtocol protocol, string error);
}
