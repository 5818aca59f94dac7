using Inroad.Protocol;
using Inroad.Tunnel.Handshake;

namespace Inroad.Client.Tunnel;

/// <summary>
/// The client side of the in-proxy API handshake (design §5): sends the connection ID and the broker's first
/// packet, carries any further packets between server and broker, and returns once the server accepted.
/// </summary>
internal static class ClientApiHandshake
{
    /// <summary>Runs the handshake; throws <see cref="ClientTunnelException"/> when the server refuses or the exchange breaks.</summary>
    public static async Task RunAsync(Stream tunnel, IInproxyTransport transport, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tunnel);
        ArgumentNullException.ThrowIfNull(transport);
        if (transport.RelayPacketToServer.IsEmpty)
        {
            throw new ClientTunnelException("the broker sent no report packet for the server");
        }

        await new TunnelHandshakeMessage
        {
            ConnectionId = transport.ConnectionId,
            Packet = transport.RelayPacketToServer,
            Version = TunnelHandshakeMessage.CurrentVersion,
        }.WriteAsync(tunnel, cancellationToken).ConfigureAwait(false);

        // The server bounds the rounds; this bound only stops a broken server from keeping us busy.
        for (int round = 0; round <= 2 * Server.BrokerReports.BrokerReportRelay.MaxRelayRoundTrips; round++)
        {
            TunnelHandshakeMessage? reply = await TunnelHandshakeMessage.ReadAsync(tunnel, cancellationToken).ConfigureAwait(false);
            switch (reply?.Status)
            {
                case TunnelHandshakeStatus.Accepted:
                    return;
                case TunnelHandshakeStatus.Relay when !reply.Packet.IsEmpty:
                    byte[] toServer = await transport.RelayToBrokerAsync(reply.Packet, cancellationToken).ConfigureAwait(false);
                    if (toServer.Length == 0)
                    {
                        throw new ClientTunnelException("the broker ended the report relay early");
                    }

                    await new TunnelHandshakeMessage { Packet = toServer }.WriteAsync(tunnel, cancellationToken).ConfigureAwait(false);
                    break;
                case TunnelHandshakeStatus.Refused:
                    throw new ClientTunnelException("the server refused the tunnel (broker report not verified)");
                default:
                    throw new ClientTunnelException("the server's handshake reply is missing or malformed");
            }
        }

        throw new ClientTunnelException("too many relay rounds");
    }
}
