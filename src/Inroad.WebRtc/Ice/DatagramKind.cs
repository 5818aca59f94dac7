namespace Inroad.WebRtc.Ice;

/// <summary>RFC 7983 §7 first-byte demultiplexing of one UDP socket.</summary>
internal enum DatagramKind
{
    Stun,
    Dtls,
    Other,
}
