namespace Inroad.WebRtc.Stun;

/// <summary>Adds a caller's attributes to a request being written (before MESSAGE-INTEGRITY/FINGERPRINT).</summary>
internal delegate void StunAttributeWriter(ref StunMessageWriter writer);
