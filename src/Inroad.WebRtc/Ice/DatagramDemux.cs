namespace Inroad.WebRtc.Ice;

/// <summary>RFC 7983 §7: [0..3] STUN, [20..63] DTLS; ZRTP, TURN channels, RTP/RTCP and the rest are "other".</summary>
internal static class DatagramDemux
{
    public static DatagramKind Classify(ReadOnlySpan<byte> datagram)
    {
        if (datagram.IsEmpty)
        {
            return DatagramKind.Other;
        }

        byte b = datagram[0];
        return b switch
        {
            <= 3 => DatagramKind.Stun,
            >= 20 and <= 63 => DatagramKind.Dtls,
            _ => DatagramKind.Other,
        };
    }
}
