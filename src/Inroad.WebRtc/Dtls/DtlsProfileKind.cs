namespace Inroad.WebRtc.Dtls;

/// <summary>Which browser's DTLS ClientHello we wear (see ../shared/reference/webrtc/browsers.md).</summary>
public enum DtlsProfileKind
{
    /// <summary>Chromium 156: 14 suites incl. TLS 1.3 ones, DTLS 1.3 offer with X25519MLKEM768, extension order permuted per connection.</summary>
    Chromium,

    /// <summary>Firefox ESR 153: 10 suites, 11 extensions in a fixed order, ALPN webrtc/c-webrtc, DTLS 1.3 offer.</summary>
    Firefox,

    /// <summary>Shuffled and truncated suites and extensions, sometimes ALPN: looks like no one in particular.</summary>
    Randomized,

    /// <summary>Firefox capped at DTLS 1.2 (media.peerconnection.dtls.version.max=771): a client a 1.3 server cannot push to 1.3.</summary>
    Firefox12,
}
