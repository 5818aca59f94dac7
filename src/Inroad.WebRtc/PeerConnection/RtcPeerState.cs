namespace Inroad.WebRtc.PeerConnection;

/// <summary>Where a peer connection is, like RTCPeerConnection.connectionState.</summary>
public enum RtcPeerState
{
    New,
    Connecting,
    Connected,
    Failed,
    Closed,
}
