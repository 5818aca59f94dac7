namespace Inroad.WebRtc.DataChannels;

/// <summary>SCTP payload protocol identifiers of WebRTC (RFC 8831 §8).</summary>
internal static class DataChannelPpid
{
    public const uint Dcep = 50;
    public const uint String = 51;
    public const uint Binary = 53;
    public const uint StringEmpty = 56;
    public const uint BinaryEmpty = 57;
}
