namespace Inroad.Server.BrokerReports;

/// <summary>
/// What <see cref="ServerBrokerSessions.HandlePacketAsync"/> concluded from one broker packet: a packet for the client
/// to relay to the broker (a handshake message or a reset token), or the verified report. Both null: the relay
/// failed (bad packet, unknown broker, wrong connection ID) and the tunnel must not be used.
/// </summary>
/// <param name="PacketToBroker">Send this to the broker through the client (ClientRelayedPacketRequest).</param>
/// <param name="Report">The authenticated report for this connection.</param>
internal readonly record struct BrokerRelayStep(byte[]? PacketToBroker, VerifiedBrokerReport? Report)
{
    /// <summary>True when the relay failed.</summary>
    public bool Failed => PacketToBroker is null && Report is null;
}
