namespace Inroad.WebRtc.DataChannels;

/// <summary>
/// What traffic shaping did on one stream so far (the in-proxy <c>inproxy_webrtc_padded_messages_*</c> and
/// <c>..._decoy_messages_*</c> log fields). Read with <see cref="Of"/>.
/// </summary>
/// <param name="PaddedMessagesSent">Messages we sent with padding.</param>
/// <param name="PaddedMessagesReceived">Peer messages with padding and payload.</param>
/// <param name="DecoyMessagesSent">Decoys we sent.</param>
/// <param name="DecoyMessagesReceived">Decoys the peer sent.</param>
public readonly record struct DataChannelShapingCounters(long PaddedMessagesSent, long PaddedMessagesReceived, long DecoyMessagesSent, long DecoyMessagesReceived)
{
    /// <summary>The counters of a stream from <c>RtcPeerConnection.OpenStreamAsync/AcceptStreamAsync</c> with shaping; null for any other stream.</summary>
    public static DataChannelShapingCounters? Of(Stream stream) =>
        stream is ShapedDataChannelStream s
            ? new DataChannelShapingCounters(s.PaddedMessagesSent, s.PaddedMessagesReceived, s.DecoyMessagesSent, s.DecoyMessagesReceived)
            : null;
}
