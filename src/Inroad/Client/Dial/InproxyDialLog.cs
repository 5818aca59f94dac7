using Microsoft.Extensions.Logging;

namespace Inroad.Client.Dial;

internal static partial class InproxyDialLog
{
    [LoggerMessage(EventId = 801, Level = LogLevel.Debug, Message = "In-proxy dial: attempt {Attempt}: no match at {Broker}{Rotated}")]
    public static partial void NoMatch(ILogger logger, int attempt, Uri broker, string rotated);

    [LoggerMessage(EventId = 802, Level = LogLevel.Information, Message = "In-proxy dial: attempt {Attempt}: local WebRTC failure, retrying: {Error}")]
    public static partial void WebRtcFailed(ILogger logger, int attempt, string error);

    [LoggerMessage(EventId = 803, Level = LogLevel.Information, Message = "In-proxy dial: connected after {Attempt} attempt(s) in {Elapsed} ms (shaped {Shaped}, DTLS {Profile}, proxy at {ProxyEndPoint})")]
    public static partial void Connected(ILogger logger, int attempt, long elapsed, bool shaped, string? profile, string proxyEndPoint);

    [LoggerMessage(EventId = 804, Level = LogLevel.Information, Message = "In-proxy dial: gave up after {Attempt} attempt(s): {Failure}: {Reason}")]
    public static partial void Failed(ILogger logger, int attempt, InproxyDialFailure failure, string reason);
}
