namespace Inroad.WebRtc.Sctp;

/// <summary>How one message is sent: ordering and RFC 3758 partial reliability.</summary>
internal readonly record struct SctpSendOptions
{
    public bool Unordered { get; init; }

    /// <summary>Retransmissions before the message is abandoned; null means fully reliable.</summary>
    public int? MaxRetransmits { get; init; }

    /// <summary>Time from the send call after which the message is abandoned; null means no limit.</summary>
    public TimeSpan? Lifetime { get; init; }
}
