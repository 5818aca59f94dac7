namespace Inroad.WebRtc.Dtls;

/// <summary>Why a DTLS handshake or connection failed.</summary>
public enum DtlsError
{
    /// <summary>The handshake did not finish within <see cref="DtlsOptions.HandshakeTimeout"/>.</summary>
    HandshakeTimeout,

    /// <summary>The peer's certificate does not match the SHA-256 fingerprint from its SDP.</summary>
    FingerprintMismatch,

    /// <summary>The peer insisted on DTLS 1.3, which this stack cannot finish yet (it speaks 1.2 only).</summary>
    PeerRequiresDtls13,

    /// <summary>The peer sent a fatal alert.</summary>
    AlertReceived,

    /// <summary>The handshake failed for another protocol reason (we sent a fatal alert).</summary>
    ProtocolError,

    /// <summary>The operation was cancelled or the transport below closed.</summary>
    TransportClosed,
}
