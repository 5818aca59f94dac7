using Microsoft.Extensions.Logging;

namespace Inroad.Sessions;

/// <summary>Source-generated log messages of the sessions layer (category <c>Inroad.Sessions</c>). Keys are logged by ID only.</summary>
internal static partial class SessionsLog
{
    [LoggerMessage(EventId = 3001, Level = LogLevel.Debug, Message = "Session established with responder {ResponderId}")]
    public static partial void InitiatorEstablished(ILogger logger, string responderId);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Information, Message = "Responder {ResponderId} reset the session; handshaking again")]
    public static partial void InitiatorReset(ILogger logger, string responderId);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Debug, Message = "Round trip to responder {ResponderId} failed: {Error}")]
    public static partial void InitiatorFailed(ILogger logger, string responderId, SessionError error);

    [LoggerMessage(EventId = 3010, Level = LogLevel.Debug, Message = "Responder session established with initiator {InitiatorId}")]
    public static partial void ResponderEstablished(ILogger logger, string initiatorId);

    [LoggerMessage(EventId = 3011, Level = LogLevel.Information, Message = "Rejected initiator {InitiatorId}: not in the known-initiators list")]
    public static partial void ResponderUnknownInitiator(ILogger logger, string initiatorId);

    [LoggerMessage(EventId = 3012, Level = LogLevel.Debug, Message = "Refused a handshake: {Pending} handshakes pending")]
    public static partial void ResponderHandshakesFull(ILogger logger, int pending);
}
