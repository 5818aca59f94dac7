namespace Inroad.Sessions;

/// <summary>Why a session operation failed.</summary>
public enum SessionError
{
    /// <summary>The round tripper failed or timed out; retrying may help.</summary>
    TransportFailed,

    /// <summary>The handshake did not complete (bad response, or the handshake this round trip waited for failed).</summary>
    HandshakeFailed,

    /// <summary>The responder's packet did not decrypt, parse or match the request.</summary>
    InvalidResponse,

    /// <summary>The responder reset the session more than once in one round trip.</summary>
    ResetLoop,

    /// <summary>A cipher ran out of nonces (2^64-1 messages); the session must be replaced.</summary>
    NonceExhausted,

    /// <summary>A payload is larger than a record can carry.</summary>
    PayloadTooLarge,
}
