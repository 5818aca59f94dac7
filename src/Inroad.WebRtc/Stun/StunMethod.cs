namespace Inroad.WebRtc.Stun;

/// <summary>STUN methods we speak (RFC 8489 §18.2).</summary>
internal static class StunMethod
{
    public const ushort Binding = 0x001;
}
