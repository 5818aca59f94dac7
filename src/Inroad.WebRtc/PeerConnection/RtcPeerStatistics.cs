using System.Net;
using Inroad.WebRtc.Dtls;

namespace Inroad.WebRtc.PeerConnection;

/// <summary>A snapshot of a connected peer's path and transport counters (like getStats()).</summary>
public sealed record RtcPeerStatistics
{
    /// <summary>Remote address of the selected ICE pair.</summary>
    public IPEndPoint? SelectedRemoteEndPoint { get; init; }

    /// <summary>DTLS ClientHello profile our side used.</summary>
    public DtlsProfileKind? DtlsProfile { get; init; }

    /// <summary>SCTP packets sent and received.</summary>
    public long PacketsSent { get; init; }

    /// <inheritdoc cref="PacketsSent"/>
    public long PacketsReceived { get; init; }

    /// <summary>Application bytes and messages delivered to our channels.</summary>
    public long BytesReceived { get; init; }

    /// <inheritdoc cref="BytesReceived"/>
    public long MessagesReceived { get; init; }

    /// <summary>DATA chunks sent again (T3 and fast retransmits).</summary>
    public long Retransmissions { get; init; }

    /// <summary>Partially reliable messages given up on.</summary>
    public long AbandonedMessages { get; init; }

    /// <summary>SCTP's smoothed round-trip time.</summary>
    public TimeSpan SmoothedRtt { get; init; }

    /// <summary>SCTP congestion window in bytes.</summary>
    public int CongestionWindow { get; init; }

    /// <summary>Datagrams the ICE socket dropped (not STUN, DTLS from a stranger, queue full).</summary>
    public long DroppedDatagrams { get; init; }

    /// <summary>SACK chunks sent, and packets received that carried DATA (their ratio is the SACK policy at work).</summary>
    public long SacksSent { get; init; }

    /// <inheritdoc cref="SacksSent"/>
    public long DataPacketsReceived { get; init; }

    /// <summary>System calls that sent on the ICE socket, and the UDP datagrams they carried (several with GSO).</summary>
    public long SocketSendCalls { get; init; }

    /// <inheritdoc cref="SocketSendCalls"/>
    public long SocketDatagramsSent { get; init; }

    /// <summary>System calls that received on the ICE socket, and the UDP datagrams they returned (several with GRO).</summary>
    public long SocketReceiveCalls { get; init; }

    /// <inheritdoc cref="SocketReceiveCalls"/>
    public long SocketDatagramsReceived { get; init; }
}
