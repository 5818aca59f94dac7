namespace Inroad.WebRtc.Stun;

/// <summary>The one exception type of the STUN layer, thrown to callers only (never for network input).</summary>
internal sealed class StunException : Exception
{
    public StunException(StunError error, string message, Exception? inner = null)
        : base(message, inner)
    {
        Error = error;
    }

    public StunError Error { get; }

    /// <summary>True when trying again later may succeed.</summary>
    public bool IsTransient => Error is StunError.Timeout or StunError.SendFailed;
}
