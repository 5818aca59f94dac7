using System.Buffers;
using System.Net.Sockets;

namespace Inroad.Tunnel;

/// <summary>
/// Copies bytes both ways between two streams until both directions end, passing half-closes through
/// (a finished direction shuts down the other side's writes) so request/response protocols work.
/// </summary>
public static class StreamRelay
{
    private const int BufferSize = 32 * 1024;

    /// <summary>Relays until both directions finish, either side fails, or the token fires.</summary>
    /// <returns>Bytes copied from <paramref name="a"/> to <paramref name="b"/> and back.</returns>
    public static async Task<(long AToB, long BToA)> RunAsync(Stream a, Stream b, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        using var failed = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task<long> up = CopyAsync(a, b, failed);
        Task<long> down = CopyAsync(b, a, failed);
        await Task.WhenAll(up, down).ConfigureAwait(false);
        return (up.Result, down.Result);
    }

    private static async Task<long> CopyAsync(Stream from, Stream to, CancellationTokenSource failed)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        long total = 0;
        try
        {
            while (true)
            {
                int n = await from.ReadAsync(buffer, failed.Token).ConfigureAwait(false);
                if (n == 0)
                {
                    break;
                }

                await to.WriteAsync(buffer.AsMemory(0, n), failed.Token).ConfigureAwait(false);
                total += n;
            }

            await CompleteWritesAsync(to, failed.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException or SocketException or InvalidOperationException)
        {
            // One side broke: stop the other direction too.
            await failed.CancelAsync().ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        return total;
    }

    private static async ValueTask CompleteWritesAsync(Stream stream, CancellationToken cancellationToken)
    {
        switch (stream)
        {
            case MuxStream mux:
                await mux.CompleteWritesAsync(cancellationToken).ConfigureAwait(false);
                break;
            case NetworkStream network:
                network.Socket.Shutdown(SocketShutdown.Send);
                break;
            default:
                await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
                break;
        }
    }
}
