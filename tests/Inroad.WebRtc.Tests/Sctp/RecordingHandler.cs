using Inroad.WebRtc.Sctp;

namespace Inroad.WebRtc.Tests.Sctp;

/// <summary>Records association events for sans-IO tests.</summary>
internal sealed class RecordingHandler : ISctpAssociationHandler
{
    public bool Established { get; private set; }

    public List<(ushort Stream, uint Ppid, byte[] Data)> Messages { get; } = [];

    public List<ushort> IncomingResets { get; } = [];

    public List<ushort> OutgoingResets { get; } = [];

    public List<ushort> LowEvents { get; } = [];

    public (SctpError Error, string? Reason)? Closed { get; private set; }

    public bool KeepMessages { get; set; } = true;

    /// <summary>When false the "reader" does not consume: delivered bytes keep counting against the window.</summary>
    public bool Release { get; set; } = true;

    public long BytesReceived { get; private set; }

    public void OnEstablished(SctpAssociation association) => Established = true;

    public void OnMessage(SctpAssociation association, ushort stream, uint ppid, ReadOnlySpan<byte> data)
    {
        BytesReceived += data.Length;
        if (KeepMessages)
        {
            Messages.Add((stream, ppid, data.ToArray()));
        }

        if (Release)
        {
            association.ReleaseReceived(data.Length);
        }
    }

    public void OnIncomingStreamsReset(SctpAssociation association, ReadOnlySpan<ushort> streams) => IncomingResets.AddRange(streams);

    public void OnOutgoingStreamsReset(SctpAssociation association, ReadOnlySpan<ushort> streams) => OutgoingResets.AddRange(streams);

    public void OnBufferedAmountLow(SctpAssociation association, ushort stream) => LowEvents.Add(stream);

    public void OnClosed(SctpAssociation association, SctpError error, string? reason) => Closed = (error, reason);
}
