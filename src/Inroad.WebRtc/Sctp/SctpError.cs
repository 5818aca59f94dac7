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
}
