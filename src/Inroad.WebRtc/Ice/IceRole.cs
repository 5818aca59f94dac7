namespace Inroad.WebRtc.Ice;

/// <summary>ICE role (RFC 8445 §6.1.1): the offerer is controlling, as in every browser capture.</summary>
internal enum IceRole
{
    Controlling,
    Controlled,
}
