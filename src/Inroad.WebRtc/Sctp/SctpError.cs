namespace Inroad.WebRtc.Sctp;

/// <summary>Why an association ended or an operation failed.</summary>
internal enum SctpError
{
    None,
    Aborted,
    PeerAborted,
    Timeout,
    Closed,
    MessageTooLarge,
    InvalidStream,

    /// <summary>The layer below ended (DTLS close_notify or alert, ICE consent lost, transport disposed).</summary>
    TransportClosed,
}
