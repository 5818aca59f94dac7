using Microsoft.Extensions.Logging;

namespace Inroad.Server.BrokerReports;

/// <summary>Source-generated log messages of the server's broker sessions (category <c>Inroad.Server.BrokerReports</c>).</summary>
internal static partial class ServerBrokerLog
{
    [LoggerMessage(EventId = 5101, Level = LogLevel.Information, Message = "Broker packet rejected (does not deobfuscate, replayed, or unknown broker)")]
    public static partial void Rejected(ILogger logger);

    [LoggerMessage(EventId = 5102, Level = LogLevel.Warning, Message = "Broker {BrokerId} reported another connection than the client claims")]
    public static partial void WrongConnection(ILogger logger, string brokerId);

    [LoggerMessage(EventId = 5103, Level = LogLevel.Information, Message = "Broker {BrokerId} sent a one-way message that is not a report")]
    public static partial void NotAReport(ILogger logger, string brokerId);
}
