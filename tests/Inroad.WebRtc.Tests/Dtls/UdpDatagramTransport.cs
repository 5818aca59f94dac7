using System.Net;
using System.Net.Sockets;
using Inroad.WebRtc.Transport;

namespace Inroad.WebRtc.Tests.Dtls;

/// <summary>A connected loopback UDP socket as an <see cref="IDatagramTransport"/> (the shape ICE will hand to DTLS).</summary>
internal sealed class UdpDatagramTransport : IDatagramTransport
{
    private readonly Socket _socket;

    private UdpDatagramTransport(Socket socket) => _socket = socket;

    public int MaxDatagramSize => 1500;

    public static (UdpDatagramTransport A, UdpDatagramTransport B) CreateLoopbackPair()
    {
        var a = Bound();
        var b = Bound();
        a.Connect(b.LocalEndPoint!);
        b.Connect(a.LocalEndPoint!);
        return (new UdpDatagramTransport(a), new UdpDatagramTransport(b));

        static Socket Bound()
        {
            var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            s.ReceiveBufferSize = 1 << 22;
            s.SendBufferSize = 1 << 22;
            s.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            return s;
        }
    }

    public async ValueTask SendAsync(ReadOnlyMemory<byte> datagram, CancellationToken cancellationToken = default) =>
        await _socket.SendAsync(datagram, SocketFlags.None, cancellationToken).ConfigureAwait(false);

    public async ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            try
            {
                return await _socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            }
            catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionRefused)
            {
                // ICMP port unreachable from a peer that is not listening yet: UDP carries on.
            }
            catch (SocketException)
            {
                throw new ObjectDisposedException(nameof(UdpDatagramTransport));
            }
        }
    }

    public ValueTask DisposeAsync()
    {
        _socket.Dispose();
        return ValueTask.CompletedTask;
    }
}
