using System.Threading.Channels;
using Inroad.Broker.Quality;
using Inroad.Brokers;
using Inroad.Protocol.Messages;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Inroad.Server.Quality;

/// <summary>
/// The tunnel server's side of proxy quality (design §4.5): counts in-proxy tunnels that met the quality targets
/// after the API handshake — (proxy ID, proxy ASN) with the client ASN it was good for — and reports them to every
/// configured broker in batched ServerProxyQualityRequests: the first queued key waits <see
/// cref="ProxyQualityReporterOptions.RequestDelay"/> for others, requests carry ≤ <see
/// cref="ProxyQualityReporterOptions.MaxRequestEntries"/> keys, each broker gets every request — one sender per
/// broker, with a timeout and retries, so a dead broker does not hold the others back — and the queue is bounded
/// (new keys beyond it are dropped and counted). Personal-paired tunnels never count. Disposal sends what is queued
/// within <see cref="ProxyQualityReporterOptions.FlushTimeout"/>. Thread-safe.
/// </summary>
internal sealed partial class ProxyQualityReporter : IAsyncDisposable
{
    private readonly ProxyQualityReporterOptions _options;
    private readonly TimeProvider _time;
    private readonly ProxyQualitySend _send;
    private readonly BrokerClient? _client;
    private readonly HashSet<string> _regions;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    private readonly ProxyQualityQueue _queue; // guarded by _lock
    private readonly SemaphoreSlim _signal = new(0);
    private readonly CancellationTokenSource _wake = new();
    private readonly CancellationTokenSource _abort;
    private readonly BrokerLane[] _lanes;
    private readonly Task _worker;
    private long _dueTimestamp; // guarded by _lock: when the oldest queued key's request is due
    private bool _stopping; // guarded by _lock
    private long _lateDrops; // guarded by _lock
    private long _qualified;
    private long _requestsSent;
    private long _requestFailures;
    private long _requestsGivenUp;
    private int _disposed;

    /// <summary>Validates <paramref name="options"/> and starts the sending loop.</summary>
    public ProxyQualityReporter(ProxyQualityReporterOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _time = options.TimeProvider;
        _regions = [.. options.ClientRegions];
        _logger = (ILogger?)options.LoggerFactory?.CreateLogger("Inroad.Server.Quality") ?? NullLogger.Instance;
        _queue = new ProxyQualityQueue(options.MaxQueuedKeys, options.MaxClientAsnsPerKey);
        if (options.Send is { } send)
        {
            _send = send;
        }
        else
        {
            var client = new BrokerClient(new BrokerClientOptions { Brokers = options.Brokers, PrivateKey = options.PrivateKey, LoggerFactory = options.LoggerFactory });
            _client = client;
            _send = (broker, request, ct) => client.RequestAsync<ServerProxyQualityRequest, ServerProxyQualityResponse>(broker, request, TimeSpan.Zero, options.RequestTimeout, ct);
        }

        _abort = new CancellationTokenSource(Timeout.InfiniteTimeSpan, _time);
        _lanes = [.. options.Brokers.Select(b => new BrokerLane(b, options.MaxPendingRequestsPerBroker))];
        foreach (BrokerLane lane in _lanes)
        {
            lane.Worker = Task.Run(() => LaneAsync(lane));
        }

        _worker = Task.Run(RunAsync);
    }

    /// <summary>Tunnels counted as quality, since start.</summary>
    public long Qualified => Interlocked.Read(ref _qualified);

    /// <summary>Proxy keys waiting to be sent.</summary>
    public int QueuedKeys
    {
        get
        {
            lock (_lock)
            {
                return _queue.Count;
            }
        }
    }

    /// <summary>Quality counts dropped: queue full, too many client ASNs for a key, after disposal, or unsent when the flush time ran out.</summary>
    public long Dropped
    {
        get
        {
            lock (_lock)
            {
                return _queue.Dropped + _lateDrops;
            }
        }
    }

    /// <summary>Requests a broker acknowledged (one per broker per batch).</summary>
    public long RequestsSent => Interlocked.Read(ref _requestsSent);

    /// <summary>Failed attempts (errors and timeouts), retried or not.</summary>
    public long RequestFailures => Interlocked.Read(ref _requestFailures);

    /// <summary>Batches given up for a broker: every retry failed, its lane was full while it was failing, or the flush time ran out.</summary>
    public long RequestsGivenUp => Interlocked.Read(ref _requestsGivenUp);

    /// <summary>False for tunnels that can never count, whatever they carry: personal-paired ones, and clients outside the configured regions.</summary>
    public bool IsEligible(in QualityTunnel tunnel) =>
        !tunnel.Personal && (_regions.Count == 0 || _regions.Contains(tunnel.ClientRegion));

    /// <summary>True when an eligible tunnel met every target (bytes both ways and duration, after the handshake).</summary>
    public bool MeetsTargets(in QualityTunnel tunnel) =>
        IsEligible(tunnel)
        && tunnel.BytesUp >= _options.TargetUpstreamBytes
        && tunnel.BytesDown >= _options.TargetDownstreamBytes
        && tunnel.Duration >= _options.TargetDuration;

    /// <summary>Counts <paramref name="tunnel"/> when it meets the targets; true when it did. Call once per tunnel at most with a true result.</summary>
    public bool TryCount(in QualityTunnel tunnel)
    {
        if (!MeetsTargets(tunnel))
        {
            return false;
        }

        Interlocked.Increment(ref _qualified);
        Enqueue(new ProxyQualityKey(tunnel.ProxyId, tunnel.ProxyAsn), tunnel.ClientAsn);
        return true;
    }

    /// <summary>
    /// Follows one running tunnel: counts it as soon as it meets the targets (checked now, every <see
    /// cref="ProxyQualityReporterOptions.CheckInterval"/>, and once more when <paramref name="tunnelEnded"/> fires),
    /// so long tunnels are reported while they run. Completes when counted, ineligible, or the tunnel ended.
    /// </summary>
    /// <param name="snapshot">The tunnel as it stands now.</param>
    /// <param name="tunnelEnded">Fires when the tunnel ends.</param>
    /// <returns>Whether the tunnel was counted.</returns>
    public async Task<bool> WatchAsync(Func<QualityTunnel> snapshot, CancellationToken tunnelEnded)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        while (true)
        {
            bool ended = tunnelEnded.IsCancellationRequested;
            QualityTunnel tunnel = snapshot();
            if (!IsEligible(tunnel))
            {
                return false;
            }

            if (TryCount(tunnel))
            {
                return true;
            }

            if (ended || Volatile.Read(ref _disposed) != 0)
            {
                return false;
            }

            try
            {
                await Task.Delay(_options.CheckInterval, _time, tunnelEnded).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // The tunnel ended: one last look at its final counts.
            }
        }
    }

    private void Enqueue(ProxyQualityKey key, uint clientAsn)
    {
        bool wake = false;
        lock (_lock)
        {
            if (_stopping)
            {
                _lateDrops++;
                return;
            }

            bool wasEmpty = _queue.Count == 0;
            if (_queue.Add(key, clientAsn) && wasEmpty)
            {
                _dueTimestamp = _time.GetTimestamp() + (long)(_options.RequestDelay.TotalSeconds * _time.TimestampFrequency);
                wake = true;
            }
        }

        if (wake)
        {
            _signal.Release();
        }
    }

    // The one sending loop: wait for a first key, let the batch gather until it is due, then send the oldest keys
    // batch by batch to every broker. Once disposal starts, nothing waits; once the flush time is up, the rest goes.
    private async Task RunAsync()
    {
        while (true)
        {
            bool stopping = _wake.IsCancellationRequested;
            ServerProxyQualityRequest? batch = null;
            TimeSpan wait = Timeout.InfiniteTimeSpan;
            lock (_lock)
            {
                if (_abort.IsCancellationRequested)
                {
                    int keys = _queue.Clear();
                    if (keys > 0)
                    {
                        LogFlushDropped(_logger, keys);
                    }

                    break;
                }

                if (_queue.Count > 0)
                {
                    wait = stopping ? TimeSpan.Zero : _time.GetElapsedTime(_time.GetTimestamp(), _dueTimestamp);
                    if (wait <= TimeSpan.Zero)
                    {
                        batch = _queue.TakeBatch(_options.MaxRequestEntries);
                    }
                }
            }

            if (batch is not null)
            {
                await DispatchAsync(batch).ConfigureAwait(false);
                continue;
            }

            if (stopping)
            {
                break;
            }

            try
            {
                if (wait == Timeout.InfiniteTimeSpan)
                {
                    await _signal.WaitAsync(_wake.Token).ConfigureAwait(false);
                }
                else
                {
                    await Task.Delay(wait, _time, _wake.Token).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException)
            {
                // Disposal: flush.
            }
        }

        foreach (BrokerLane lane in _lanes)
        {
            lane.Batches.Writer.TryComplete();
        }

        await Task.WhenAll(_lanes.Select(l => l.Worker!)).ConfigureAwait(false);
    }

    // Hands a batch to every broker's lane. A full lane holds the loop back (the queue keeps gathering meanwhile)
    // unless its broker is failing: then the batch is given up for that broker alone, so one dead broker neither
    // stalls the others nor grows memory.
    private async Task DispatchAsync(ServerProxyQualityRequest batch)
    {
        foreach (BrokerLane lane in _lanes)
        {
            while (!lane.Batches.Writer.TryWrite(batch))
            {
                CancellationToken failing = lane.Failing;
                if (failing.IsCancellationRequested || _abort.IsCancellationRequested)
                {
                    GiveUp(lane, batch, "broker failing, its queue full");
                    break;
                }

                using var wait = CancellationTokenSource.CreateLinkedTokenSource(failing, _abort.Token);
                try
                {
                    _ = await lane.Batches.Writer.WaitToWriteAsync(wait.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    // The broker started failing, or the flush time is up: the loop gives the batch up.
                }
            }
        }
    }

    // One broker's sequential sender. When the flush time is up, what it still holds is given up.
    private async Task LaneAsync(BrokerLane lane)
    {
        try
        {
            await foreach (ServerProxyQualityRequest batch in lane.Batches.Reader.ReadAllAsync(_abort.Token).ConfigureAwait(false))
            {
                if (_abort.IsCancellationRequested)
                {
                    GiveUp(lane, batch, "flush time up"); // the reader hands out what it holds before it looks at the token
                    continue;
                }

                lane.SetFailing(!await SendAsync(lane, batch).ConfigureAwait(false));
            }
        }
        catch (OperationCanceledException)
        {
            while (lane.Batches.Reader.TryRead(out ServerProxyQualityRequest? batch))
            {
                GiveUp(lane, batch, "flush time up");
            }
        }
    }

    private void GiveUp(BrokerLane lane, ServerProxyQualityRequest batch, string reason)
    {
        Interlocked.Increment(ref _requestsGivenUp);
        LogNotSent(_logger, batch.QualityCounts.Count, lane.Spec.Endpoint, reason);
    }

    // One batch to one broker: the first attempt and up to RequestRetries more, each within RequestTimeout.
    private async Task<bool> SendAsync(BrokerLane lane, ServerProxyQualityRequest batch)
    {
        BrokerSpec broker = lane.Spec;
        for (int attempt = 0; ; attempt++)
        {
            using var timeout = new CancellationTokenSource(_options.RequestTimeout, _time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, _abort.Token);
            try
            {
                await _send(broker, batch, linked.Token).WaitAsync(linked.Token).ConfigureAwait(false);
                Interlocked.Increment(ref _requestsSent);
                LogSent(_logger, batch.QualityCounts.Count, broker.Endpoint);
                return true;
            }
            catch (Exception e) when (!_abort.IsCancellationRequested)
            {
                Interlocked.Increment(ref _requestFailures);
                lane.SetFailing(true); // from the first failed attempt: the dispatch loop stops waiting for this broker
                string reason = timeout.IsCancellationRequested ? "timed out" : e.GetType().Name;
                if (attempt >= _options.RequestRetries)
                {
                    Interlocked.Increment(ref _requestsGivenUp);
                    LogGaveUp(_logger, batch.QualityCounts.Count, broker.Endpoint, attempt + 1, reason);
                    return false;
                }

                LogRetry(_logger, broker.Endpoint, attempt + 1, reason);
            }
            catch (Exception)
            {
                Interlocked.Increment(ref _requestFailures);
                Interlocked.Increment(ref _requestsGivenUp);
                return false;
            }
        }
    }

    /// <summary>Stops counting, sends what is queued (within the flush timeout; the rest is dropped) and releases the broker client.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        lock (_lock)
        {
            _stopping = true;
        }

        _abort.CancelAfter(_options.FlushTimeout);
        await _wake.CancelAsync().ConfigureAwait(false);
        await _worker.ConfigureAwait(false);
        _client?.Dispose();
        _abort.Dispose();
        _wake.Dispose();
        _signal.Dispose();
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Proxy quality: {Keys} proxy keys reported to {Broker}")]
    private static partial void LogSent(ILogger logger, int keys, Uri broker);

    [LoggerMessage(EventId = 2, Level = LogLevel.Debug, Message = "Proxy quality: request to {Broker} failed (attempt {Attempt}: {Reason}); retrying")]
    private static partial void LogRetry(ILogger logger, Uri broker, int attempt, string reason);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "Proxy quality: {Keys} proxy keys not reported to {Broker} after {Attempts} attempts ({Reason})")]
    private static partial void LogGaveUp(ILogger logger, int keys, Uri broker, int attempts, string reason);

    [LoggerMessage(EventId = 4, Level = LogLevel.Warning, Message = "Proxy quality: {Keys} proxy keys dropped unsent when the flush time ran out")]
    private static partial void LogFlushDropped(ILogger logger, int keys);

    [LoggerMessage(EventId = 5, Level = LogLevel.Warning, Message = "Proxy quality: {Keys} proxy keys not sent to {Broker} ({Reason})")]
    private static partial void LogNotSent(ILogger logger, int keys, Uri broker, string reason);
    // One broker: its bounded queue of batches, its sender, and whether its last attempt failed. Failing is a token
    // so the dispatch loop, waiting for room in this lane, wakes when the broker starts failing.
    private sealed class BrokerLane(BrokerSpec spec, int capacity)
    {
        private CancellationTokenSource _failing = new(); // written only by the lane's sender

        public BrokerSpec Spec { get; } = spec;

        public Channel<ServerProxyQualityRequest> Batches { get; } = Channel.CreateBounded<ServerProxyQualityRequest>(
            new BoundedChannelOptions(capacity) { SingleReader = true, SingleWriter = true });

        public Task? Worker { get; set; }

        /// <summary>Cancelled while the broker is failing.</summary>
        public CancellationToken Failing => Volatile.Read(ref _failing).Token;

        public void SetFailing(bool failing)
        {
            CancellationTokenSource current = Volatile.Read(ref _failing);
            if (failing && !current.IsCancellationRequested)
            {
                current.Cancel();
            }
            else if (!failing && current.IsCancellationRequested)
            {
                Volatile.Write(ref _failing, new CancellationTokenSource()); // the old one may still be linked: not disposed
            }
        }
    }
}
