using System.Net;
using System.Net.Sockets;

namespace Inroad.Nat.Tests.Lab;

/// <summary>Whether a UDP datagram from the public side really crosses a port mapping.</summary>
internal static class LabDelivery
{
    /// <summary>Sends up to three datagrams from <paramref name="from"/> to <paramref name="to"/>; true when one reaches <paramref name="receiver"/> (400 ms each).</summary>
    public static async Task<bool> DeliversAsync(Socket from, IPEndPoint to, Socket receiver, CancellationToken ct)
    {
        byte[] payload = "through-the-mapping"u8.ToArray();
        byte[] buf = new byte[64];
        for (int i = 0; i < 3; i++)
        {
            await from.SendToAsync(payload, to, ct);
            using var once = CancellationTokenSource.CreateLinkedTokenSource(ct);
            once.CancelAfter(TimeSpan.FromMilliseconds(400));
            try
            {
                SocketReceiveFromResult r = await receiver.ReceiveFromAsync(buf, new IPEndPoint(IPAddress.Any, 0), once.Token);
                return buf.AsSpan(0, r.ReceivedBytes).SequenceEqual(payload);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
            }
        }

        return false;
    }
}
