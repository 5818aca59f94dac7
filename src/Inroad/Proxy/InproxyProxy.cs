using Inroad.Brokers;
using Inroad.Protocol;
using Inroad.Protocol.Messages;
using Inroad.Sessions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Inroad.Proxy;

/// <summary>
/// The volunteer proxy (design §8): a supervisor keeps up to one announcement per free client slot at the
/// broker (staggered, first one a tactics precheck), backs off on Limited, MustUpgrade and failed clients
/// (never on NoMatch), and each match becomes a client served by <c>ServeClientAsync</c>: WebRTC answer,
/// ProxyAnswer (always, with the error if any), data channel, TCP dial of the destination the broker
/// named, rate-limited relay until either side ends or it goes idle.
/// </summary>
internal sealed partial class InproxyProxy : IAsyncDisposable
{
    /// <summary>The most clients of one kind a proxy may be configured for (design §8.1 clamp).</summary>
    internal const int MaxClientsLimit = 1024;

    private const int MaxBackoffFactor = 1 << 20;

    // A broker that ignores PreCheckTactics holds the precheck as an ordinary long poll; the pool starts anyway after this.
    private static readonly TimeSpan PrecheckWait = TimeSpan.FromSeconds(2);

    // A transport failure this soon after a success keeps the broker (affinity across broker restarts, design §2.5).
    private static readonly TimeSpan BrokerAffinityPeriod = TimeSpan.FromSeconds(30);

    // The supervisor re-checks the slots at least this often even without a signal (design §8.1 limits poll).
    private static readonly TimeSpan ReconcilePeriod = TimeSpan.FromMinutes(1);

    private readonly ProxyOptions _options;
    private readonly BrokerClient _brokers;
    private readonly ProxyLimits _limits;
    private readonly ProxyClientKind _kind;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _disposed = new();
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly long[] _counters = new long[(int)Counter.Count];
    private readonly Lock _lock = new();

    // guarded by _lock
    private readonly HashSet<ProxyClient> _clients = [];
    private readonly Dictionary<string, (long Up, long Down)> _finishedRegions = new(StringComparer.Ordinal);
    private int _announcing;
    private long _finishedUp;
    private long _finishedDown;
    private int _backoffFactor = 1;
    private long _backoffUntil;
    private TimeSpan _brokerRetryDelay; // guarded by _lock; the pause the next transport failure starts
    private long _brokerRetryUntil;     // guarded by _lock; failures before this share one escalation
    private long _nextAnnounceAt;
    private bool _announcedOnce;
    private bool _prechecked;
    private long _precheckStarted;
    private long _lastBrokerSuccess = long.MinValue;
    private long _peakUp;
    private long _peakDown;
    private TaskCompletionSource _wakeSignal = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private int _running;

    private enum Counter
    {
        Announcements,
        NoMatch,
        Limited,
        MustUpgrade,
        Matches,
        CapacityExceeded,
        AnswerErrors,
        NoAwaitingClient,
        ClientsRelayed,
        ClientFailures,
        TransportFailures,
        Backoffs,
        Count,
    }

    /// <summary>Creates the proxy; validates <paramref name="options"/>. Nothing happens until <see cref="RunAsync"/>.</summary>
    public InproxyProxy(ProxyOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _brokers = options.Brokers!;
        _kind = options.Kind;
        _limits = options.Limits ?? new ProxyLimits(
            _kind == ProxyClientKind.Common ? options.MaxCommonClients : 0,
            _kind == ProxyClientKind.Personal ? options.MaxPersonalClients : 0);
        _time = options.TimeProvider;
        _brokerRetryDelay = options.TransportRetryDelay;
        _logger = (options.LoggerFactory ?? NullLoggerFactory.Instance).CreateLogger("Inroad.Proxy");
    }

    /// <summary>Raised about every second with <see cref="Snapshot"/>, unless the proxy is idle and nothing changed. Raised on the timer; keep handlers short.</summary>
    public event Action<ProxyActivity>? Activity;

    /// <summary>Announces and serves clients until <paramref name="cancellationToken"/> fires or the proxy is disposed; then tears every client down. Runs once.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed.IsCancellationRequested, this);
        if (Interlocked.Exchange(ref _running, 1) != 0)
        {
            throw new InvalidOperationException("The proxy is already running.");
        }

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _disposed.Token);
        var workers = new List<Task>();
        Task ticker = TickAsync(stop.Token);
        _options.Nat?.Start(); // background: the first announcements report what is known by then
        ProxyLog.Started(_logger, _brokers.Id.ToString(), _kind, _limits.Max(_kind));
        try
        {
            while (!stop.IsCancellationRequested)
            {
                workers.RemoveAll(t => t.IsCompleted);
                (TimeSpan wait, Task woken) = Reconcile(workers, stop.Token);

                // Sleep on the injected clock until a worker signals, the backoff ends, or the periodic re-check.
                using var sleep = CancellationTokenSource.CreateLinkedTokenSource(stop.Token);
                _ = await Task.WhenAny(woken, Task.Delay(wait, _time, sleep.Token)).ConfigureAwait(false);
                await sleep.CancelAsync().ConfigureAwait(false);
            }
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(workers).ConfigureAwait(false);
            await ticker.ConfigureAwait(false);
            _stopped.TrySetResult();
        }
    }

    /// <summary>What the proxy is doing now.</summary>
    public ProxyActivity Snapshot()
    {
        lock (_lock)
        {
            int connecting = 0, connected = 0;
            long up = _finishedUp, down = _finishedDown;
            var regions = new Dictionary<string, RegionActivity>(StringComparer.Ordinal);
            foreach ((string region, (long u, long d)) in _finishedRegions)
            {
                regions[region] = new RegionActivity(u, d, 0, 0);
            }

            foreach (ProxyClient c in _clients)
            {
                long cu = c.BytesUp, cd = c.BytesDown;
                up += cu;
                down += cd;
                bool isConnected = c.Connected;
                connected += isConnected ? 1 : 0;
                connecting += isConnected ? 0 : 1;
                RegionActivity r = regions.GetValueOrDefault(c.Region);
                regions[c.Region] = new RegionActivity(r.BytesUp + cu, r.BytesDown + cd, r.Connecting + (isConnected ? 0 : 1), r.Connected + (isConnected ? 1 : 0));
            }

            foreach (string empty in regions.Where(p => p.Value == default).Select(p => p.Key).ToArray())
            {
                regions.Remove(empty);
            }

            long[] n = new long[_counters.Length];
            for (int i = 0; i < n.Length; i++)
            {
                n[i] = Interlocked.Read(ref _counters[i]);
            }

            var counters = new ProxyCounters(
                n[(int)Counter.Announcements],
                n[(int)Counter.NoMatch],
                n[(int)Counter.Limited],
                n[(int)Counter.MustUpgrade],
                n[(int)Counter.Matches],
                n[(int)Counter.CapacityExceeded],
                n[(int)Counter.AnswerErrors],
                n[(int)Counter.NoAwaitingClient],
                n[(int)Counter.ClientsRelayed],
                n[(int)Counter.ClientFailures],
                n[(int)Counter.TransportFailures],
                n[(int)Counter.Backoffs]);
            return new ProxyActivity(_announcing, connecting, connected, up, down, regions, counters, _backoffFactor, _brokerRetryDelay);
        }
    }

    /// <summary>Stops <see cref="RunAsync"/> and waits until every client is torn down.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed.IsCancellationRequested)
        {
            return;
        }

        await _disposed.CancelAsync().ConfigureAwait(false);
        if (Volatile.Read(ref _running) != 0)
        {
            await _stopped.Task.ConfigureAwait(false);
        }

        _disposed.Dispose();
    }

    // Launches announcements while slots are free and no backoff runs; returns how long to sleep if nothing
    // signals, and the signal. The signal is renewed before the state is read, so no wake-up is lost.
    private (TimeSpan Wait, Task Woken) Reconcile(List<Task> workers, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (_wakeSignal.Task.IsCompleted)
            {
                _wakeSignal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }

            Task woken = _wakeSignal.Task;
            long now = _time.GetTimestamp();
            if (now < _backoffUntil)
            {
                return (_time.GetElapsedTime(now, _backoffUntil), woken);
            }

            TimeSpan wait = ReconcilePeriod;
            int allowed = _limits.Free(_kind);
            if (!_prechecked)
            {
                // One announcement (a tactics precheck) establishes the broker session before the pool starts.
                if (_announcing > 0)
                {
                    TimeSpan left = PrecheckWait - _time.GetElapsedTime(_precheckStarted, now);
                    if (left > TimeSpan.Zero)
                    {
                        return (left, woken);
                    }

                    _prechecked = true;
                }
                else
                {
                    allowed = Math.Min(allowed, 1);
                    _precheckStarted = now;
                    wait = PrecheckWait;
                }
            }

            while (_announcing < allowed)
            {
                bool precheck = !_prechecked;
                TimeSpan delay = NextAnnounceDelayLocked(now);
                _announcing++;
                workers.Add(Task.Run(() => AnnounceAsync(precheck, delay, cancellationToken), CancellationToken.None));
            }

            return (wait, woken);
        }
    }

    // First announcement: no delay; then each is at least one jittered AnnounceDelay after the previous one.
    private TimeSpan NextAnnounceDelayLocked(long now)
    {
        if (!_announcedOnce)
        {
            _announcedOnce = true;
            _nextAnnounceAt = now;
            return TimeSpan.Zero;
        }

        long earliest = now + ToTicks(Jitter(_options.AnnounceDelay));
        long spaced = _nextAnnounceAt + ToTicks(Jitter(_options.AnnounceDelay));
        _nextAnnounceAt = Math.Max(earliest, spaced);
        return _time.GetElapsedTime(now, _nextAnnounceAt);
    }

    private async Task AnnounceAsync(bool precheck, TimeSpan delay, CancellationToken cancellationToken)
    {
        bool announcing = true;
        try
        {
            if (!precheck && _options.Nat is { } nat)
            {
                // The broker classifies us by the metrics of each announcement; the first probe (bounded) says whether we are mapped.
                await nat.WaitForFirstProbeAsync(cancellationToken).ConfigureAwait(false);
            }

            ProxyAnnounceResponse response;
            try
            {
                response = await _brokers.RequestAsync<ProxyAnnounceRequest, ProxyAnnounceResponse>(
                    NewAnnouncement(precheck), delay, BrokerRequestTimeouts.Announce, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (IsBrokerFailure(e, cancellationToken))
            {
                OnBrokerFailure(e);
                return;
            }

            OnBrokerSuccess(precheck);
            Increment(Counter.Announcements);
            if (response.MustUpgrade)
            {
                Increment(Counter.MustUpgrade);
                ProxyLog.MustUpgrade(_logger);
                BackOff();
                return;
            }

            if (response.Limited)
            {
                Increment(Counter.Limited);
                ProxyLog.Limited(_logger, BackOff());
                return;
            }

            if (!response.IsMatch)
            {
                Increment(Counter.NoMatch);
                ResetBackoff();
                return;
            }

            Increment(Counter.Matches);
            var client = new ProxyClient(response.ConnectionId, _kind, response.ClientRegion ?? "");
            if (!_limits.TryAcquire(_kind))
            {
                EndAnnouncing(ref announcing);
                Increment(Counter.CapacityExceeded);
                Increment(Counter.AnswerErrors);
                ProxyLog.CapacityExceeded(_logger, ShortId(response.ConnectionId));
                BackOff();
                _ = await SendAnswerAsync(new ProxyAnswerRequest { ConnectionId = response.ConnectionId, AnswerError = "proxy capacity exceeded" }, cancellationToken).ConfigureAwait(false);
                return;
            }

            lock (_lock)
            {
                _clients.Add(client);
            }

            EndAnnouncing(ref announcing);
            try
            {
                await ServeClientAsync(client, response, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                Finish(client);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping.
        }
        catch (Exception e)
        {
            // A defect, not the network: log it and back off rather than fault the supervisor or spin.
            ProxyLog.WorkerFailed(_logger, e);
            BackOff();
        }
        finally
        {
            EndAnnouncing(ref announcing);
        }
    }

    internal ProxyAnnounceRequest NewAnnouncement(bool precheck)
    {
        ProxyActivity now = Snapshot();
        return new ProxyAnnounceRequest
        {
            PersonalCompartmentIds = _options.PersonalCompartmentId is { } id ? [id] : [],
            PreCheckTactics = precheck,
            Metrics = new PeerMetrics
            {
                ProtocolVersion = ProtocolVersions.V1, // data channels only: no media streams
                NatType = _options.Nat?.NatType ?? _options.NatType,
                PortMappingTypes = _options.Nat?.PortMappingTypes ?? _options.PortMappingTypes,
                MaxCommonClients = _limits.Max(ProxyClientKind.Common),
                MaxPersonalClients = _limits.Max(ProxyClientKind.Personal),
                ConnectingClients = now.Connecting,
                ConnectedClients = now.Connected,
                LimitUpstreamBytesPerSecond = _options.LimitUpstreamBytesPerSecond,
                LimitDownstreamBytesPerSecond = _options.LimitDownstreamBytesPerSecond,
                PeakUpstreamBytesPerSecond = Interlocked.Read(ref _peakUp),
                PeakDownstreamBytesPerSecond = Interlocked.Read(ref _peakDown),
            },
        };
    }

    // Null when the request failed in transport (already counted).
    private async Task<ProxyAnswerResponse?> SendAnswerAsync(ProxyAnswerRequest answer, CancellationToken cancellationToken)
    {
        try
        {
            ProxyAnswerResponse response = await _brokers.RequestAsync<ProxyAnswerRequest, ProxyAnswerResponse>(
                answer, TimeSpan.Zero, BrokerRequestTimeouts.Answer, cancellationToken).ConfigureAwait(false);
            OnBrokerSuccess(precheck: false);
            return response;
        }
        catch (Exception e) when (IsBrokerFailure(e, cancellationToken))
        {
            OnBrokerFailure(e);
            return null;
        }
    }

    private static bool IsBrokerFailure(Exception e, CancellationToken cancellationToken) =>
        e is SessionException or InvalidDataException or HttpRequestException or IOException or TimeoutException
        || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested);

    private void OnBrokerSuccess(bool precheck)
    {
        lock (_lock)
        {
            _lastBrokerSuccess = _time.GetTimestamp();
            _prechecked |= precheck;
            _brokerRetryDelay = _options.TransportRetryDelay;
        }
    }

    // Transport trouble neither escalates the Limited backoff nor counts as Limited (design §8.1), but pauses
    // announcing — longer for each failure in a row, so a dead or overloaded broker is not hammered in step by a
    // whole fleet — and moves to the next broker unless this one worked recently. The workers' concurrent
    // failures of one outage escalate the pause once.
    private void OnBrokerFailure(Exception e)
    {
        Increment(Counter.TransportFailures);
        ProxyLog.BrokerFailed(_logger, e.Message);
        bool rotate;
        lock (_lock)
        {
            long now = _time.GetTimestamp();
            rotate = _lastBrokerSuccess == long.MinValue || _time.GetElapsedTime(_lastBrokerSuccess, now) > BrokerAffinityPeriod;
            if (now >= _brokerRetryUntil)
            {
                TimeSpan pause = _brokerRetryDelay;
                _brokerRetryUntil = now + ToTicks(Jitter(pause));
                _backoffUntil = Math.Max(_backoffUntil, _brokerRetryUntil);
                TimeSpan doubled = pause * 2;
                _brokerRetryDelay = doubled < _options.MaxTransportRetryDelay ? doubled : _options.MaxTransportRetryDelay;
            }
        }

        if (rotate)
        {
            _brokers.Rotate();
        }

        Wake();
    }

    // Escalates at most once per backoff window: concurrent failures of one cause double the delay once.
    private TimeSpan BackOff()
    {
        TimeSpan delay;
        lock (_lock)
        {
            long now = _time.GetTimestamp();
            if (now < _backoffUntil)
            {
                return _time.GetElapsedTime(now, _backoffUntil);
            }

            _backoffFactor = Math.Min(_backoffFactor * 2, MaxBackoffFactor);
            TimeSpan raw = _options.AnnounceDelay * _backoffFactor;
            delay = Jitter(raw < _options.MaxBackoff ? raw : _options.MaxBackoff);
            _backoffUntil = now + ToTicks(delay);
        }

        Increment(Counter.Backoffs);
        Wake();
        return delay;
    }

    private void ResetBackoff()
    {
        lock (_lock)
        {
            _backoffFactor = 1;
        }
    }

    private void EndAnnouncing(ref bool announcing)
    {
        if (!announcing)
        {
            return;
        }

        announcing = false;
        lock (_lock)
        {
            _announcing--;
        }

        Wake();
    }

    private void Finish(ProxyClient client)
    {
        lock (_lock)
        {
            if (_clients.Remove(client))
            {
                long up = client.BytesUp, down = client.BytesDown;
                _finishedUp += up;
                _finishedDown += down;
                if (up + down > 0)
                {
                    (long u, long d) = _finishedRegions.GetValueOrDefault(client.Region);
                    _finishedRegions[client.Region] = (u + up, d + down);
                }
            }
        }

        _limits.Release(client.Kind);
        Wake();
    }

    private void Wake()
    {
        TaskCompletionSource signal;
        lock (_lock)
        {
            signal = _wakeSignal;
        }

        signal.TrySetResult();
    }

    // Every second: the peak rates reported in announcements, and the activity event.
    private async Task TickAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1), _time);
        ProxyActivity last = Snapshot();
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                ProxyActivity now = Snapshot();
                InterlockedMax(ref _peakUp, now.BytesUp - last.BytesUp);
                InterlockedMax(ref _peakDown, now.BytesDown - last.BytesDown);
                bool unchanged = now.BytesUp == last.BytesUp && now.BytesDown == last.BytesDown && now.Announcing == last.Announcing
                    && now.Connecting == last.Connecting && now.Connected == last.Connected;
                if (!(now.IsIdle && unchanged))
                {
                    RaiseActivity(now);
                }

                last = now;
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    // A throwing handler must not stop the ticker (and with it the peak rates the broker sees).
    private void RaiseActivity(ProxyActivity activity)
    {
        try
        {
            Activity?.Invoke(activity);
        }
        catch (Exception e)
        {
            ProxyLog.ActivityHandlerFailed(_logger, e);
        }
    }

    private static void InterlockedMax(ref long target, long value)
    {
        long current;
        while (value > (current = Interlocked.Read(ref target)))
        {
            if (Interlocked.CompareExchange(ref target, value, current) == current)
            {
                return;
            }
        }
    }

    private void Increment(Counter counter) => Interlocked.Increment(ref _counters[(int)counter]);

    private TimeSpan Jitter(TimeSpan value)
    {
        double j = _options.AnnounceDelayJitter;
        return value * (1 - j + (2 * j * Random.Shared.NextDouble()));
    }

    private long ToTicks(TimeSpan value) => (long)(value.TotalSeconds * _time.TimestampFrequency);

    private static string ShortId(Id32 id) => id.ToHex()[..8];
}
