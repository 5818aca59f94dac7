using System.Net;
using Inroad.Nat.PortMapping;

namespace Inroad.Network;

/// <summary>
/// A local UDP port with a gateway mapping for one peer connection: bind the connection to <see cref="LocalPort"/>
/// and advertise <see cref="ExternalEndPoint"/> as a host candidate. Disposing deletes the mapping (best effort).
/// </summary>
internal sealed class MappedUdpPort(int localPort, IUdpPortLease lease, TimeSpan timeToMap) : IAsyncDisposable
{
    private int _disposed;

    /// <summary>The local UDP port the mapping points at (free when it was chosen).</summary>
    public int LocalPort { get; } = localPort;

    /// <summary>The public endpoint that reaches <see cref="LocalPort"/>.</summary>
    public IPEndPoint ExternalEndPoint => lease.ExternalEndPoint;

    /// <summary>The protocol that made the mapping.</summary>
    public PortMappingProtocol Protocol => lease.Protocol;

    /// <summary>Time from choosing the port to the gateway's grant (the probe excluded when it was cached).</summary>
    public TimeSpan TimeToMap { get; } = timeToMap;

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        try
        {
            await lease.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is Nat.NatException or OperationCanceledException or System.Net.Sockets.SocketException or ObjectDisposedException)
        {
            // The gateway forgets the mapping at its lifetime anyway.
        }
    }
}
