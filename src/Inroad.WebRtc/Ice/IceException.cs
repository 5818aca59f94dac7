namespace Inroad.WebRtc.Ice;

/// <summary>The one exception type of the ICE layer, thrown to callers only.</summary>
internal sealed class IceException : Exception
{
    public IceException(IceError error, string message, Exception? inner = null)
        : base(message, inner)
    {
        Error = error;
    }

    public IceError Error { get; }

    public bool IsTransient => Error is IceError.ConnectivityChecksFailed or IceError.ConsentExpired;
}
