using Inroad.Server.BrokerReports;
using Inroad.Tunnel.Handshake;

namespace Inroad.Server;

/// <summary>
/// The server side of the in-proxy API handshake (design §5): reads the client's connection ID and the broker's
/// first relay packet, feeds broker packets to the report relay, sends back any packet the broker must get
/// (at most <see cref="MaxRelayRoundTrips"/> times), and answers Accepted only once a report for that
/// connection ID verified. No stream opens before that.
/// </summary>
internal static class InproxyApiHandshake
{
    /// <summary>Broker ↔ server packets the client may carry after the first one.</summary>
    public const int MaxRelayRoundTrips = 10;

    /// <summary>Runs the handshake; the verified report, or null after telling the client Refused.</summary>
    public static async Task<VerifiedBrokerReport?> AcceptAsync(Stream tunnel, IBrokerReportRelay relay, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tunnel);
        ArgumentNullException.ThrowIfNull(relay);
        TunnelHandshakeMessage? message = await TunnelHandshakeMessage.ReadAsync(tunnel, cancellationToken).ConfigureAwait(false);
        if (message is null || message.ConnectionId.IsZero || message.Packet.IsEmpty)
        {
            await RefuseAsync(tunnel, cancellationToken).ConfigureAwait(false);
            return null;
        }

        for (int round = 0; ; round++)
        {
            BrokerRelayStep step = await relay.HandlePacketAsync(message.Packet, message.ConnectionId, cancellationToken).ConfigureAwait(false);
            if (step.Report is { } report)
            {
                await new TunnelHandshakeMessage { Status = TunnelHandshakeStatus.Accepted, Version = TunnelHandshakeMessage.CurrentVersion }
                    .WriteAsync(tunnel, cancellationToken).ConfigureAwait(false);
                return report;
            }

            if (step.PacketToBroker is not { Length: > 0 } next || round >= MaxRelayRoundTrips)
            {
                await RefuseAsync(tunnel, cancellationToken).ConfigureAwait(false);
                return null;
            }

            await new TunnelHandshakeMessage { Status = TunnelHandshakeStatus.Relay, Packet = next }.WriteAsync(tunnel, cancellationToken).ConfigureAwait(false);
            TunnelHandshakeMessage? reply = await TunnelHandshakeMessage.ReadAsync(tunnel, cancellationToken).ConfigureAwait(false);
            if (reply is null || reply.Packet.IsEmpty)
            {
                await RefuseAsync(tunnel, cancellationToken).ConfigureAwait(false);
                return null;
            }

            message = message with { Packet = reply.Packet };
        }
    }

    private static async Task RefuseAsync(Stream tunnel, CancellationToken cancellationToken)
    {
        try
        {
            await new TunnelHandshakeMessage { Status = TunnelHandshakeStatus.Refused }.WriteAsync(tunnel, cancellationToken).ConfigureAwait(false);
        }
        catch (IOException)
        {
            // The client is gone already.
        }
    }
}
