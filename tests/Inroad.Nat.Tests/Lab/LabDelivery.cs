using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Inroad.Nat.Tests.Lab;

/// <summary>
/// Whether a UDP datagram really crosses the lab. Every check sends its own nonce and counts only datagrams that carry
/// it: a check that resends leaves copies in the receiver's buffer, and a later check must not read those as its own.
/// </summary>
internal static class LabDelivery
{
    private static long s_checks;

    /// <summary>Sends up to three datagrams from <paramref name="from"/> to <paramref name="to"/>; true when one reaches <paramref name="receiver"/> (400 ms each).</summary>
    public static async Task<bool> DeliversAsync(Socket from, IPEndPoint to, Socket receiver, CancellationToken ct) =>
        await SendUntilReceivedAsync(from, to, receiver, 3, TimeSpan.FromMilliseconds(400), ct) is not null;

    /// <summary>
    /// Sends a fresh nonce up to <paramref name="attempts"/> times, waiting <paramref name="wait"/> after each send, and
    /// returns the source address of the first datagram at <paramref name="receiver"/> that carries it (null if none did).
    /// Datagrams left over from earlier checks are read and dropped.
    /// </summary>
    public static async Task<IPEndPoint?> SendUntilReceivedAsync(Socket from, EndPoint to, Socket receiver, int attempts, TimeSpan wait, CancellationToken ct)
    {
        byte[] nonce = Encoding.ASCII.GetBytes($"lab-check-{Environment.ProcessId}-{Interlocked.Increment(ref s_checks)}-{Guid.NewGuid():N}");
        byte[] buf = new byte[2048];
        for (int i = 0; i < attempts; i++)
        {
            await from.SendToAsync(nonce, to, ct);
            using var once = CancellationTokenSource.CreateLinkedTokenSource(ct);
            once.CancelAfter(wait);
            try
            {
                while (true)
                {
                    SocketReceiveFromResult r = await receiver.ReceiveFromAsync(buf, new IPEndPoint(IPAddress.Any, 0), once.Token);
                    if (buf.AsSpan(0, r.ReceivedBytes).SequenceEqual(nonce))
                    {
                        return (IPEndPoint)r.RemoteEndPoint;
                    }
                }
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
            }
        }

        return null;
    }
}
