using Inroad.Protocol;

namespace Inroad.Server.BrokerReports;

/// <summary>
/// The tunnel server's end of the broker → server report relay: takes one packet the client carried from the
/// broker and says what comes next (a packet to carry back, the verified report, or failure).
/// </summary>
internal interface IBrokerReportRelay
{
    /// <summary>Handles one packet; a report is returned only when it authenticates and names <paramref name="expectedConnectionId"/>.</summary>
    ValueTask<BrokerRelayStep> HandlePacketAsync(ReadOnlyMemory<byte> packetFromBroker, Id32 expectedConnectionId, CancellationToken cancellationToken);
}

/// <summary>The relay loop every server runs over an <see cref="IBrokerReportRelay"/>.</summary>
internal static class BrokerReportRelay
{
    /// <summary>Most packets the server sends the broker through the client for one report (design §5).</summary>
    public const int MaxRelayRoundTrips = 10;

    /// <summary>
    /// Runs a whole relay: feeds <paramref name="firstPacket"/> (the broker's packet, as the client presented it) and carries
    /// each packet for the broker through <paramref name="relayThroughClient"/>, at most <see cref="MaxRelayRoundTrips"/> times.
    /// Returns the verified report, or null when the relay failed or the client (the broker) ended it with an empty packet.
    /// Exceptions of <paramref name="relayThroughClient"/> propagate.
    /// </summary>
    public static async ValueTask<VerifiedBrokerReport?> VerifyAsync(
        this IBrokerReportRelay relay,
        ReadOnlyMemory<byte> firstPacket,
        Id32 expectedConnectionId,
        Func<byte[], CancellationToken, ValueTask<byte[]>> relayThroughClient,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(relay);
        ArgumentNullException.ThrowIfNull(relayThroughClient);
        ReadOnlyMemory<byte> packet = firstPacket;
        for (int roundTrips = 0; ; roundTrips++)
        {
            BrokerRelayStep step = await relay.HandlePacketAsync(packet, expectedConnectionId, cancellationToken).ConfigureAwait(false);
            if (step.PacketToBroker is not { Length: > 0 } toBroker || roundTrips == MaxRelayRoundTrips)
            {
                return step.Report;
            }

            packet = await relayThroughClient(toBroker, cancellationToken).ConfigureAwait(false);
            if (packet.IsEmpty)
            {
                return null;
            }
        }
    }
}
