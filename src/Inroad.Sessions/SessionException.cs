namespace Inroad.Sessions;

/// <summary>The one exception type of the sessions layer; <see cref="Error"/> says what failed.</summary>
public sealed class SessionException : Exception
{
    public SessionException()
        : this(SessionError.TransportFailed, "session failure")
    {
    }

    public SessionException(string message)
        : this(SessionError.TransportFailed, message)
    {
    }

    public SessionException(string message, Exception innerException)
        : this(SessionError.TransportFailed, message, innerException)
    {
    }

    public SessionException(SessionError error, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Error = error;
    }

    /// <summary>What failed.</summary>
    public SessionError Error { get; }

    /// <summary>True when the same call may succeed if retried (transport trouble, a lost handshake race).</summary>
    public bool IsTransient => Error is SessionError.TransportFailed or SessionError.HandshakeFailed or SessionError.ResetLoop;
}
