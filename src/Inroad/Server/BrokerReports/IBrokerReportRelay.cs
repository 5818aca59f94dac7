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
