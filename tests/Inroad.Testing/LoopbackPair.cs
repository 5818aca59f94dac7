using System.Net;
using System.Net.Sockets;

namespace Inroad.Testing;

/// <summary>Two ends of a real loopback TCP connection.</summary>
public static class LoopbackPair
{
    public static async Task<(NetworkStream Client, NetworkStream Server)> CreateAsync(CancellationToken cancellationToken)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var client = new TcpClient();
        Task connect = client.ConnectAsync(IPAddress.Loopback, ((IPEndPoint)listener.LocalEndpoint).Port, cancellationToken).AsTask();
        TcpClient server = await listener.AcceptTcpClientAsync(cancellationToken);
        await connect;
        client.NoDelay = true;
        server.NoDelay = true;
        return (new NetworkStream(client.Client, ownsSocket: true), new NetworkStream(server.Client, ownsSocket: true));
    }
}
