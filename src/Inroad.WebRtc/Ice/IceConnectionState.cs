namespace Inroad.WebRtc.Ice;

/// <summary>The agent's state, named as RTCIceConnectionState names it.</summary>
internal enum IceConnectionState
{
    New,
    Checking,
    Connected,
    Disconnected,
    Failed,
    Closed,
}
