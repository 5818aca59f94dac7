namespace Inroad.WebRtc.DataChannels;

/// <summary>The W3C RTCDataChannelState.</summary>
internal enum DataChannelState
{
    Connecting,
    Open,
    Closing,
    Closed,
}
