namespace Inroad.WebRtc.Sdp;

/// <summary>Offer or answer (RFC 8829). We never send pranswer or rollback.</summary>
internal enum SdpType
{
    Offer,
    Answer,
}
