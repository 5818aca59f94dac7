namespace Inroad.WebRtc.DataChannels;

/// <summary>What <see cref="DataChannelSession.OpenChannelAsync"/> asks for (the RTCDataChannelInit of the W3C API).</summary>
internal sealed class DataChannelOptions
{
    /// <summary>Channel label, up to 65535 UTF-8 bytes. Defaults to empty.</summary>
    public string Label { get; init; } = string.Empty;

    /// <summary>Subprotocol name. Defaults to empty.</summary>
    public string Protocol { get; init; } = string.Empty;

    /// <summary>Deliver in order. Defaults to true.</summary>
    public bool Ordered { get; init; } = true;

    /// <summary>Retransmissions before a message is abandoned (0 = send once); null is reliable.</summary>
    public int? MaxRetransmits { get; init; }

    /// <summary>Lifetime of a message before it is abandoned; null is reliable.</summary>
    public TimeSpan? MaxPacketLifeTime { get; init; }

    /// <summary>DCEP priority. Defaults to 256, what Chromium sends (Firefox sends 0).</summary>
    public ushort Priority { get; init; } = 256;

    public void Validate()
    {
        if (MaxRetransmits is not null && MaxPacketLifeTime is not null)
        {
            throw new ArgumentException("Set at most one of MaxRetransmits and MaxPacketLifeTime.", nameof(MaxRetransmits));
        }

        if (MaxRetransmits is < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxRetransmits), MaxRetransmits, "MaxRetransmits must not be negative.");
        }

        if (MaxPacketLifeTime is TimeSpan t && (t < TimeSpan.Zero || t.TotalMilliseconds > uint.MaxValue))
        {
            throw new ArgumentOutOfRangeException(nameof(MaxPacketLifeTime), MaxPacketLifeTime, "MaxPacketLifeTime must be within [0, 2^32 ms).");
        }

        if (System.Text.Encoding.UTF8.GetByteCount(Label) > ushort.MaxValue || System.Text.Encoding.UTF8.GetByteCount(Protocol) > ushort.MaxValue)
        {
            throw new ArgumentException("Label and Protocol must each fit in 65535 UTF-8 bytes.", nameof(Label));
        }
    }

    internal DcepOpen ToOpenMessage()
    {
        DataChannelType type = MaxRetransmits is not null ? DataChannelType.PartialReliableRexmit
            : MaxPacketLifeTime is not null ? DataChannelType.PartialReliableTimed
            : DataChannelType.Reliable;
        if (!Ordered)
        {
            type |= DataChannelType.ReliableUnordered;
        }

        uint reliability = MaxRetransmits is int r ? (uint)r : MaxPacketLifeTime is TimeSpan t ? (uint)t.TotalMilliseconds : 0;
        return new DcepOpen(type, Priority, reliability, Label, Protocol);
    }
}
