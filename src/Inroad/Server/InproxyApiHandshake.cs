using Inroad.Server.BrokerReports;
using Inroad.Tunnel.Handshake;

namespace Inroad.Server;

/// <summary>
/// The server side of the in-proxy API handshake (design §5): reads the client's connection ID and the broker's
/// first relay packet, runs the report relay (each packet for the broker goes to the client as a Relay message, the
/// client's reply carries the broker's next packet), and answers Accepted only once a report for that connection ID
/// verified. No stream opens before that.
/// </summary>
internal static class InproxyApiHandshake
{
    /// <summary>Runs the handshake; the verified report, or null after telling the client Refused.</summary>
    public static async Task<VerifiedBrokerReport?> AcceptAsync(Stream tunnel, IBrokerReportRelay relay, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tunnel);
        ArgumentNullException.ThrowIfNull(relay);
        TunnelHandshakeMessage? message = await TunnelHandshakeMessage.ReadAsync(tunnel, cancellationToken).ConfigureAwait(false);
        VerifiedBrokerReport? report = message is null || message.ConnectionId.IsZero || message.Packet.IsEmpty
            ? null
            : await relay.VerifyAsync(message.Packet, message.ConnectionId, (toBroker, ct) => RelayThroughClientAsync(tunnel, toBroker, ct), cancellationToken).ConfigureAwait(false);
        if (report is null)
        {
            await RefuseAsync(tunnel, cancellationToken).ConfigureAwait(false);
            return null;
        }

        await new TunnelHandshakeMessage { Status = TunnelHandshakeStatus.Accepted, Version = TunnelHandshakeMessage.CurrentVersion }
            .WriteAsync(tunnel, cancellationToken).ConfigureAwait(false);
        return report;
    }

    // One relay step: the client carries our packet to the broker and answers with the broker's next one (empty: nothing).
    private static async ValueTask<byte[]> RelayThroughClientAsync(Stream tunnel, byte[] toBroker, CancellationToken cancellationToken)
    {
        await new TunnelHandshakeMessage { Status = TunnelHandshakeStatus.Relay, Packet = toBroker }.WriteAsync(tunnel, cancellationToken).ConfigureAwait(false);
        TunnelHandshakeMessage? reply = await TunnelHandshakeMessage.ReadAsync(tunnel, cancellationToken).ConfigureAwait(false);
        return reply?.Packet.ToArray() ?? [];
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
