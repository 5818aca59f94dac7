namespace Inroad.WebRtc.Stun;

/// <summary>The class of a STUN message (RFC 8489 §5): two bits spread over the message type.</summary>
internal enum StunClass
{
    Request = 0,
    Indication = 1,
    SuccessResponse = 2,
    ErrorResponse = 3,
}
