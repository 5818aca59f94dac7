namespace Inroad.WebRtc.Dtls;

/// <summary>
/// What the shared UDP socket may hand to DTLS. Chromium answers every non-STUN datagram from an address that
/// has not completed ICE with silence, DTLS-shaped or not (../shared/reference/webrtc/probe-answers.md §1–2),
/// so DTLS sees nothing until ICE has verified the pair, and then only RFC 7983 DTLS bytes (first byte 20–63).
/// </summary>
public static class DtlsDemux
{
    /// <summary>True when <paramref name="datagram"/> should reach the DTLS layer.</summary>
    public static bool ShouldDeliver(ReadOnlySpan<byte> datagram, bool pairVerifiedByIce) =>
        pairVerifiedByIce && datagram.Length > 0 && datagram[0] is >= 20 and <= 63;
}
