using Microsoft.Extensions.Logging;

namespace Inroad.Proxy;

/// <summary>Source-generated log messages of the proxy (category Inroad.Proxy). Client addresses are never logged.</summary>
internal static partial class ProxyLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Proxy {ProxyId} running: {Kind} clients, at most {MaxClients}")]
    public static partial void Started(ILogger logger, string proxyId, ProxyClientKind kind, int maxClients);

    [LoggerMessage(EventId = 2, Level = LogLevel.Debug, Message = "Broker request failed: {Reason}")]
    public static partial void BrokerFailed(ILogger logger, string reason);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "Broker says this proxy is too old to be matched; upgrade")]
    public static partial void MustUpgrade(ILogger logger);

    [LoggerMessage(EventId = 4, Level = LogLevel.Debug, Message = "Announcement limited by the broker; backing off {Delay}")]
    public static partial void Limited(ILogger logger, TimeSpan delay);

    [LoggerMessage(EventId = 5, Level = LogLevel.Information, Message = "No slot free for matched client {ConnectionId}: answered capacity exceeded")]
    public static partial void CapacityExceeded(ILogger logger, string connectionId);

    [LoggerMessage(EventId = 6, Level = LogLevel.Information, Message = "Client {ConnectionId} failed before relaying: {Reason}")]
    public static partial void ClientFailed(ILogger logger, string connectionId, string reason);

    [LoggerMessage(EventId = 7, Level = LogLevel.Debug, Message = "Client {ConnectionId} left before our answer arrived")]
    public static partial void NoAwaitingClient(ILogger logger, string connectionId);

    [LoggerMessage(EventId = 8, Level = LogLevel.Information, Message = "Client {ConnectionId} ({Region}) relaying")]
    public static partial void Relaying(ILogger logger, string connectionId, string region);

    [LoggerMessage(EventId = 9, Level = LogLevel.Information, Message = "Client {ConnectionId} done: {End}, {BytesUp} bytes up, {BytesDown} bytes down")]
    public static partial void RelayEnded(ILogger logger, string connectionId, RelayEnd end, long bytesUp, long bytesDown);

    [LoggerMessage(EventId = 10, Level = LogLevel.Warning, Message = "An activity handler threw")]
    public static partial void ActivityHandlerFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 11, Level = LogLevel.Error, Message = "An announcement worker failed unexpectedly")]
    public static partial void WorkerFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 12, Level = LogLevel.Debug, Message = "Client {ConnectionId}: answer on the mapped port failed, answering without it: {Reason}")]
    public static partial void MappedAnswerFailed(ILogger logger, string connectionId, string reason);
}
