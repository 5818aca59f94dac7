using Inroad.Tunnel;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Inroad.Client.Tunnel;

/// <summary>
/// Keeps one tunnel up: dials through a proxy, establishes the tunnel, and when it ends (proxy gone, server gone,
/// path broken) dials again — through whichever proxy the broker matches next — with a growing, jittered delay
/// after failures. Local connections open streams on the current tunnel and wait for one while it redials.
/// </summary>
internal sealed partial class TunnelKeeper : IAsyncDisposable
{
    private readonly TunnelKeeperOptions _options;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _lock = new();
    private readonly Task _loop;
    private TaskCompletionSource<InproxyTunnel> _ready = NewReady();
    private TunnelStatus _status = new(TunnelState.Connecting, 0, null);

    private TunnelKeeper(TunnelKeeperOptions options)
    {
        _options = options;
        _logger = (ILogger?)options.LoggerFactory?.CreateLogger("Inroad.Client") ?? NullLogger.Instance;
        _loop = RunAsync(_stop.Token);
    }

    /// <summary>Raised on every state change.</summary>
    public event Action<TunnelStatus>? StatusChanged;

    /// <summary>The current status.</summary>
    public TunnelStatus Status
    {
        get
        {
            lock (_lock)
            {
                return _status;
            }
        }
    }

    /// <summary>The broker's connection ID of the tunnel in use now (what the server's report names), if one is up.</summary>
    public Protocol.Id32? CurrentConnectionId
    {
        get
        {
            lock (_lock)
            {
                return _ready.Task.IsCompletedSuccessfully ? _ready.Task.Result.Transport.ConnectionId : null;
            }
        }
    }

    /// <summary>Validates <paramref name="options"/> and starts dialing.</summary>
    public static TunnelKeeper Start(TunnelKeeperOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return new TunnelKeeper(options);
    }

    /// <summary>Waits until a tunnel is up.</summary>
    public async Task WaitConnectedAsync(CancellationToken cancellationToken)
    {
        Task<InproxyTunnel> ready;
        lock (_lock)
        {
            ready = _ready.Task;
        }

        await ready.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Opens a stream to "host:port" on the current tunnel, waiting up to <see cref="TunnelKeeperOptions.StreamWaitTimeout"/>
    /// for one. A stream that fails because its tunnel just died is retried once on the next tunnel; a refusal by
    /// the server (<see cref="TunnelStreamException"/>) is not.
    /// </summary>
    public async ValueTask<Stream> OpenStreamAsync(string target, CancellationToken cancellationToken)
    {
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stop.Token);
        wait.CancelAfter(_options.StreamWaitTimeout);
        for (int attempt = 0; ; attempt++)
        {
            Task<InproxyTunnel> ready;
            lock (_lock)
            {
                ready = _ready.Task;
            }

            InproxyTunnel tunnel;
            try
            {
                tunnel = await ready.WaitAsync(wait.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TunnelStreamException(MuxResetReason.Unreachable);
            }

            try
            {
                return await tunnel.OpenStreamAsync(target, wait.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (attempt == 0 && IsTunnelGone(e))
            {
                // The tunnel died under us; the loop is already redialing.
                await tunnel.Completion.WaitAsync(wait.Token).ConfigureAwait(false);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        _stop.Dispose();
    }

    // A refusal by the server is an answer, not a dead tunnel (TunnelStreamException is an IOException too).
    private static bool IsTunnelGone(Exception e) => e is not TunnelStreamException and (IOException or ObjectDisposedException);

    private static TaskCompletionSource<InproxyTunnel> NewReady() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        int failures = 0;
        int established = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            SetStatus(TunnelState.Connecting, established, Status.LastError);
            InproxyTunnel? tunnel = null;
            string? error = null;
            try
            {
                IInproxyTransport transport = await _options.Dial!(cancellationToken).ConfigureAwait(false);
                tunnel = await InproxyTunnel.EstablishAsync(transport, _options.Server!, _options.HandshakeTimeout, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                error = e.Message;
                LogDialFailed(_logger, e.GetType().Name, e.Message);
            }

            if (tunnel is not null)
            {
                await using (tunnel.ConfigureAwait(false))
                {
                    established++;
                    failures = 0;
                    long started = _options.TimeProvider.GetTimestamp();
                    lock (_lock)
                    {
                        _ready.TrySetResult(tunnel);
                    }

                    SetStatus(TunnelState.Connected, established, null);
                    LogConnected(_logger, established);
                    try
                    {
                        await tunnel.Completion.WaitAsync(cancellationToken).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException)
                    {
                    }

                    lock (_lock)
                    {
                        _ready = NewReady();
                    }

                    error = tunnel.EndReason;
                    LogTunnelEnded(_logger, _options.TimeProvider.GetElapsedTime(started).TotalSeconds, error);
                }

                if (cancellationToken.IsCancellationRequested)
                {
                    break;
                }

                // A tunnel that ran is no failure: redial at once.
                SetStatus(TunnelState.Connecting, established, error);
                continue;
            }

            failures++;
            SetStatus(TunnelState.Waiting, established, error);
            try
            {
                await Task.Delay(RedialDelay(failures), _options.TimeProvider, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        lock (_lock)
        {
            _ready.TrySetCanceled(CancellationToken.None);
        }

        SetStatus(TunnelState.Stopped, Status.TunnelsEstablished, Status.LastError);
    }

    private TimeSpan RedialDelay(int failures)
    {
        double factor = Math.Pow(2, Math.Min(failures - 1, 16));
        double ms = Math.Min(_options.RedialDelay.TotalMilliseconds * factor, _options.MaxRedialDelay.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(ms * (0.75 + (Random.Shared.NextDouble() * 0.5)));
    }

    private void SetStatus(TunnelState state, int established, string? error)
    {
        TunnelStatus status;
        lock (_lock)
        {
            if (_status.State == state && _status.TunnelsEstablished == established && _status.LastError == error)
            {
                return;
            }

            status = _status = new TunnelStatus(state, established, error);
        }

        StatusChanged?.Invoke(status);
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Tunnel dial failed ({Kind}): {Error}")]
    private static partial void LogDialFailed(ILogger logger, string kind, string error);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "Tunnel {Count} connected")]
    private static partial void LogConnected(ILogger logger, int count);

    [LoggerMessage(EventId = 3, Level = LogLevel.Information, Message = "Tunnel ended after {Seconds:F1} s ({Reason}); redialing")]
    private static partial void LogTunnelEnded(ILogger logger, double seconds, string reason);
}
