namespace Inroad.WebRtc.Sctp;

/// <summary>Counters of one association; read on the association's loop.</summary>
internal sealed class SctpStatistics
{
    public long PacketsSent { get; set; }

    public long PacketsReceived { get; set; }

    public long PacketsDropped { get; set; }

    public long UnknownChunks { get; set; }

    public long DataChunksSent { get; set; }

    public long DataChunksReceived { get; set; }

    public long DuplicateChunksReceived { get; set; }

    public long Retransmissions { get; set; }

    public long FastRetransmits { get; set; }

    public long T3Expirations { get; set; }

    public long AbandonedMessages { get; set; }

    public long MessagesDelivered { get; set; }

    public long BytesDelivered { get; set; }

    public long SacksSent { get; set; }

    public long DataPacketsReceived { get; set; }
}
