namespace Inroad.WebRtc.Sctp;

/// <summary>
/// Events of an <see cref="SctpAssociation"/>. Called on the association's loop, inside
/// HandlePacket/HandleTimeout/TryWritePacket; a handler may call Send/ResetStreams on the association
/// it is given but must not block.
/// </summary>
internal interface ISctpAssociationHandler
{
    void OnEstablished(SctpAssociation association);

    /// <summary>A whole message. <paramref name="data"/> is only valid during the call.</summary>
    void OnMessage(SctpAssociation association, ushort stream, uint ppid, ReadOnlySpan<byte> data);

    /// <summary>The peer reset these incoming streams (RFC 6525): the data channels on them are closing.</summary>
    void OnIncomingStreamsReset(SctpAssociation association, ReadOnlySpan<ushort> streams);

    /// <summary>Our reset of these outgoing streams completed.</summary>
    void OnOutgoingStreamsReset(SctpAssociation association, ReadOnlySpan<ushort> streams);

    /// <summary>The stream's buffered amount fell to or below its low threshold.</summary>
    void OnBufferedAmountLow(SctpAssociation association, ushort stream);

    void OnClosed(SctpAssociation association, SctpError error, string? reason);
}
