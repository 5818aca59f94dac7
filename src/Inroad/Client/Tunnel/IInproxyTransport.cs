using Inroad.Protocol;

namespace Inroad.Client.Tunnel;

/// <summary>
/// A byte stream to the tunnel server through one proxy, and the way back to the broker that matched it: what the
/// client tunnel needs from an in-proxy dial.
/// </summary>
internal interface IInproxyTransport : IAsyncDisposable
{
    /// <summary>The reliable ordered stream to the server (through the proxy).</summary>
    Stream Stream { get; }

    /// <summary>The broker's connection ID; the server checks the report names it.</summary>
    Id32 ConnectionId { get; }

    /// <summary>The broker's first packet for the server.</summary>
    ReadOnlyMemory<byte> RelayPacketToServer { get; }

    /// <summary>Carries a server packet to the broker and returns the broker's next packet (empty: nothing more).</summary>
    Task<byte[]> RelayToBrokerAsync(ReadOnlyMemory<byte> packetFromServer, CancellationToken cancellationToken);

    /// <summary>Completes when the path through the proxy ends.</summary>
    Task Completion { get; }
}
