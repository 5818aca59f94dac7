namespace Inroad.Tunnel.Handshake;

/// <summary>The server's word in the in-proxy API handshake.</summary>
internal enum TunnelHandshakeStatus
{
    /// <summary>Client → server, or an unset status.</summary>
    None = 0,

    /// <summary>Server → client: relay <see cref="TunnelHandshakeMessage.Packet"/> to the broker and send back its answer.</summary>
    Relay = 1,

    /// <summary>Server → client: the broker's report verified; streams may open.</summary>
    Accepted = 2,

    /// <summary>Server → client: no verified report; the tunnel closes.</summary>
    Refused = 3,
}
