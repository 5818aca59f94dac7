using Microsoft.Extensions.Logging;

namespace Inroad.Broker.Reports;

/// <summary>Source-generated log messages of the broker's report relay (category <c>Inroad.Broker.Reports</c>).</summary>
internal static partial class ServerReportLog
{
    [LoggerMessage(EventId = 4101, Level = LogLevel.Information, Message = "No report for connection {ConnectionId}: the server entry's session key is unusable")]
    public static partial void UnusableServerKey(ILogger logger, string connectionId);

    [LoggerMessage(EventId = 4102, Level = LogLevel.Debug, Message = "Report relay for connection {ConnectionId} failed: {Reason}")]
    public static partial void RelayFailed(ILogger logger, string connectionId, string reason);

    [LoggerMessage(EventId = 4103, Level = LogLevel.Debug, Message = "Server reset the session for connection {ConnectionId}; handshaking again through the client")]
    public static partial void ServerReset(ILogger logger, string connectionId);

    [LoggerMessage(EventId = 4104, Level = LogLevel.Information, Message = "Report relay for connection {ConnectionId} cut off after {RoundTrips} round trips")]
    public static partial void TooManyRoundTrips(ILogger logger, string connectionId, int roundTrips);
}
