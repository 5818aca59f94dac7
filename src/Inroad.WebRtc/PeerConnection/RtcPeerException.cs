namespace Inroad.WebRtc.PeerConnection;

/// <summary>A peer connection could not be established; the message names the layer that failed.</summary>
public sealed class RtcPeerException : Exception
{
    public RtcPeerException()
    {
    }

    public RtcPeerException(string message)
        : base(message)
    {
    }

    public RtcPeerException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
