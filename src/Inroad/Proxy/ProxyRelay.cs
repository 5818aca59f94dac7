using System.Buffers;

namespace Inroad.Proxy;

/// <summary>Why a relay ended.</summary>
internal enum RelayEnd
{
    /// <summary>The client closed its channel (or it failed).</summary>
    ClientClosed,

    /// <summary>The destination closed its connection (or it failed).</summary>
    DestinationClosed,

    /// <summary>No byte moved either way for the inactivity timeout.</summary>
    Inactive,

    /// <summary>The proxy is stopping.</summary>
    Cancelled,
}

/// <summary>
/// The proxy's relay (design §6.7): two copy loops between the client's data channel and the destination,
/// no parsing, each direction behind its own token bucket (upstream = writes to the destination), one
/// inactivity timer reset by every byte either way. When either side ends, both are stopped; the caller
/// then closes both (a data channel has no half-close, so neither may the destination).
/// </summary>
internal static class ProxyRelay
{
    private const int MaxBufferSize = 16 * 1024;

    /// <summary>Relays until either side ends, the relay goes idle, or <paramref name="cancellationToken"/> fires.</summary>
    /// <param name="client">The client's channel.</param>
    /// <param name="destination">The destination connection.</param>
    /// <param name="counters">Receives the bytes written each way as they go.</param>
    /// <param name="upstreamBytesPerSecond">Rate of writes to <paramref name="destination"/>; 0 is unlimited.</param>
    /// <param name="downstreamBytesPerSecond">Rate of writes to <paramref name="client"/>; 0 is unlimited.</param>
    /// <param name="inactivityTimeout">Idle time after which the relay ends.</param>
    /// <param name="timeProvider">Clock of the rate limits and the idle timer.</param>
    /// <param name="cancellationToken">Stops the relay.</param>
    public static async Task<RelayEnd> RunAsync(
        Stream client,
        Stream destination,
        IRelayCounters counters,
        long upstreamBytesPerSecond,
        long downstreamBytesPerSecond,
        TimeSpan inactivityTimeout,
        TimeProvider timeProvider,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentNullException.ThrowIfNull(counters);
        ArgumentNullException.ThrowIfNull(timeProvider);

        // One source for the three ways to stop: idle (its own timer), the caller, and the other direction ending.
        using var stop = new CancellationTokenSource(inactivityTimeout, timeProvider);
        using CancellationTokenRegistration link = cancellationToken.UnsafeRegister(static s => ((CancellationTokenSource)s!).Cancel(), stop);
        TokenBucket? up = upstreamBytesPerSecond > 0 ? new TokenBucket(upstreamBytesPerSecond, timeProvider) : null;
        TokenBucket? down = downstreamBytesPerSecond > 0 ? new TokenBucket(downstreamBytesPerSecond, timeProvider) : null;
        Task<bool> upTask = CopyAsync(client, destination, up, counters.AddUp, stop, inactivityTimeout);
        Task<bool> downTask = CopyAsync(destination, client, down, counters.AddDown, stop, inactivityTimeout);
        Task<bool> first = await Task.WhenAny(upTask, downTask).ConfigureAwait(false);
        bool idle = stop.IsCancellationRequested && !cancellationToken.IsCancellationRequested && !first.Result;
        await stop.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(upTask, downTask).ConfigureAwait(false);
        return cancellationToken.IsCancellationRequested ? RelayEnd.Cancelled
            : idle ? RelayEnd.Inactive
            : first == upTask ? RelayEnd.ClientClosed
            : RelayEnd.DestinationClosed;
    }

    // True when the source ended or failed by itself; false when stopped from outside.
    private static async Task<bool> CopyAsync(Stream from, Stream to, TokenBucket? bucket, Action<long> count, CancellationTokenSource stop, TimeSpan inactivityTimeout)
    {
        int size = bucket is null ? MaxBufferSize : Math.Clamp(bucket.Burst, 1024, MaxBufferSize);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(size);
        try
        {
            while (true)
            {
                int n = await from.ReadAsync(buffer.AsMemory(0, size), stop.Token).ConfigureAwait(false);
                if (n == 0)
                {
                    return true;
                }

                stop.CancelAfter(inactivityTimeout);
                if (bucket is not null)
                {
                    await bucket.TakeAsync(n, stop.Token).ConfigureAwait(false);
                }

                await to.WriteAsync(buffer.AsMemory(0, n), stop.Token).ConfigureAwait(false);
                count(n);
                stop.CancelAfter(inactivityTimeout);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            return false;
        }
        catch (Exception)
        {
            // Any failure of a side (socket errors, a data channel whose association aborted) ends it.
            return true;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}

/// <summary>Receives a relay's byte counts.</summary>
internal interface IRelayCounters
{
    /// <summary>Bytes written to the destination.</summary>
    void AddUp(long bytes);

    /// <summary>Bytes written to the client.</summary>
    void AddDown(long bytes);
}
