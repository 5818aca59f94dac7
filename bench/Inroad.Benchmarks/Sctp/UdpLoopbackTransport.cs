using System.Net;
using System.Net.Sockets;
using Inroad.WebRtc.Transport;

namespace Inroad.Benchmarks.Sctp;

/// <summary>
/// A connected UDP socket on 127.0.0.1 as an <see cref="IDatagramTransport"/>, for benchmarks only (the
/// real path is DTLS over ICE). Sends are synchronous; receives try a non-blocking read first and only
/// await when the socket is empty, which saves the async machinery per datagram (datapath-limits.md).
/// </summary>
internal sealed class UdpLoopbackTransport : IDatagramTransport
{
    private readonly Socket _socket;

    private UdpLoopbackTransport(Socket socket)
    {
        _socket = socket;
    }

    public int MaxDatagramSize => 65507;

    public static (UdpLoopbackTransport A, UdpLoopbackTransport B) CreatePair()
    {
        Socket a = Open();
        Socket b = Open();
        a.Connect(b.LocalEndPoint!);
        b.Connect(a.LocalEndPoint!);
        return (new UdpLoopbackTransport(a), new UdpLoopbackTransport(b));
    }

    private static Socket Open()
    {
        var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp)
        {
            ReceiveBufferSize = 8 * 1024 * 1024,
            SendBufferSize = 8 * 1024 * 1024,
            Blocking = false,
        };
        s.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return s;
    }

    public ValueTask SendAsync(ReadOnlyMemory<byte> datagram, CancellationToken cancellationToken = default)
    {
        int sent = _socket.Send(datagram.Span, SocketFlags.None, out SocketError error);
        _ = sent; // on WouldBlock/ENOBUFS the datagram is lost, as on a real path
        _ = error;
        return ValueTask.CompletedTask;
    }

    public ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        int n = _socket.Receive(buffer.Span, SocketFlags.None, out SocketError error);
        if (error == SocketError.Success)
        {
            return ValueTask.FromResult(n);
        }

        return _socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);
    }

    public ValueTask DisposeAsync()
    {
        _socket.Dispose();
        return ValueTask.CompletedTask;
    }
}
