using Microsoft.Extensions.Logging;

namespace Inroad.WebRtc.Dtls;

/// <summary>DTLS log events. Everything a peer can trigger is Debug at most: a prober must not be able to fill our logs.</summary>
internal static partial class DtlsLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Debug, Message = "DTLS {Role} handshake done: suite 0x{CipherSuite:x4}, SRTP 0x{SrtpProfile:x4}, profile {Profile}")]
    public static partial void HandshakeCompleted(ILogger logger, string role, int cipherSuite, int srtpProfile, DtlsProfileKind profile);

    [LoggerMessage(EventId = 2, Level = LogLevel.Debug, Message = "DTLS {Role} handshake failed: {Error}")]
    public static partial void HandshakeFailed(ILogger logger, string role, DtlsError error, Exception exception);

    [LoggerMessage(EventId = 3, Level = LogLevel.Trace, Message = "DTLS dropped a {Length}-byte datagram that is not a ClientHello before the handshake")]
    public static partial void ProbeDropped(ILogger logger, int length);
}
