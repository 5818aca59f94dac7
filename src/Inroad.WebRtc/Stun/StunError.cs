namespace Inroad.WebRtc.Stun;

/// <summary>Why a STUN operation failed.</summary>
internal enum StunError
{
    /// <summary>No response after every retransmission (RFC 8489 §6.2.1). Transient.</summary>
    Timeout,

    /// <summary>The request could not be sent (socket error). Transient.</summary>
    SendFailed,

    /// <summary>The client was disposed while the transaction was pending.</summary>
    Closed,
}
