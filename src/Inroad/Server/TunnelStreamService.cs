using System.Net.Sockets;
using Inroad.Tunnel;

namespace Inroad.Server;

/// <summary>Serves one tunnel's streams: each accepted open is dialed and relayed until both sides end.</summary>
public static class TunnelStreamService
{
    /// <summary>Runs until the session ends or the token fires; returns how many streams the client opened.</summary>
    public static async Task<int> RunAsync(MuxSession session, TargetDialer dialer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(dialer);
        var running = new List<Task>();
        int opened = 0;
        while (await session.AcceptStreamAsync(cancellationToken).ConfigureAwait(false) is { } stream)
        {
            opened++;
            running.RemoveAll(t => t.IsCompleted);
            running.Add(ServeAsync(stream, dialer, cancellationToken));
        }

        await Task.WhenAll(running).ConfigureAwait(false);
        return opened;
    }

    private static async Task ServeAsync(MuxStream stream, TargetDialer dialer, CancellationToken cancellationToken)
    {
        await using (stream.ConfigureAwait(false))
        {
            Socket socket;
            try
            {
                socket = await dialer.DialAsync(stream.Target, cancellationToken).ConfigureAwait(false);
            }
            catch (TunnelStreamException e)
            {
                await stream.RejectAsync(e.Reason).ConfigureAwait(false);
                return;
            }
            catch (OperationCanceledException)
            {
                await stream.RejectAsync(MuxResetReason.Closed).ConfigureAwait(false);
                return;
            }

            var target = new NetworkStream(socket, ownsSocket: true);
            await using (target.ConfigureAwait(false))
            {
                try
                {
                    await stream.AcceptAsync(cancellationToken).ConfigureAwait(false);
                    await StreamRelay.RunAsync(stream, target, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
                {
                    // Session or target went away.
                }
            }
        }
    }
}
