namespace Inroad.Tunnel;

/// <summary>A tunnel stream could not be opened or was reset by the peer.</summary>
public sealed class TunnelStreamException : IOException
{
    public TunnelStreamException(MuxResetReason reason)
        : base($"Tunnel stream reset: {reason}.")
    {
        Reason = reason;
    }

    public TunnelStreamException()
        : this(MuxResetReason.Failure)
    {
    }

    public TunnelStreamException(string message)
        : base(message)
    {
        Reason = MuxResetReason.Failure;
    }

    public TunnelStreamException(string message, Exception innerException)
        : base(message, innerException)
    {
        Reason = MuxResetReason.Failure;
    }

    /// <summary>Why the stream ended.</summary>
    public MuxResetReason Reason { get; }
}
