namespace Inroad.WebRtc.Sctp;

/// <summary>Association states (RFC 9260 §4).</summary>
internal enum SctpState
{
    Closed,
    CookieWait,
    CookieEchoed,
    Established,
    ShutdownPending,
    ShutdownSent,
    ShutdownReceived,
    ShutdownAckSent,
}
