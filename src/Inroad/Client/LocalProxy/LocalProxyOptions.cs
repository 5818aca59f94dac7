using System.Net;

namespace Inroad.Client.LocalProxy;

/// <summary>Opens a tunnel stream to "host:port"; throws <see cref="Tunnel.TunnelStreamException"/> when refused.</summary>
public delegate ValueTask<Stream> TunnelStreamOpener(string target, CancellationToken cancellationToken);

/// <summary>Options of <see cref="LocalProxyServer"/>.</summary>
public sealed class LocalProxyOptions
{
    /// <summary>SOCKS5 listener. Defaults to 127.0.0.1 on a free port; null disables it.</summary>
    public IPEndPoint? SocksEndPoint { get; set; } = new(IPAddress.Loopback, 0);

    /// <summary>HTTP proxy listener (CONNECT and plain requests). Defaults to 127.0.0.1 on a free port; null disables it.</summary>
    public IPEndPoint? HttpEndPoint { get; set; } = new(IPAddress.Loopback, 0);

    /// <summary>Time a client has to finish its proxy handshake. Defaults to 30 s.</summary>
    public TimeSpan HandshakeTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Connections served at once; more wait in the listen backlog. Defaults to 1024.</summary>
    public int MaxConnections { get; set; } = 1024;

    public void Validate()
    {
        if (SocksEndPoint is null && HttpEndPoint is null)
        {
            throw new ArgumentException("At least one of SocksEndPoint and HttpEndPoint must be set.", nameof(SocksEndPoint));
        }

        if (HandshakeTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(HandshakeTimeout), HandshakeTimeout, "Must be positive.");
        }

        if (MaxConnections < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxConnections), MaxConnections, "Must be at least 1.");
        }
    }
}
