namespace Inroad.WebRtc.Dtls;

/// <summary>The one exception type of the DTLS layer; <see cref="Error"/> says what went wrong.</summary>
public sealed class DtlsException : Exception
{
    public DtlsException()
        : this(DtlsError.ProtocolError, "DTLS failed.")
    {
    }

    public DtlsException(string message)
        : this(DtlsError.ProtocolError, message)
    {
    }

    public DtlsException(string message, Exception innerException)
        : this(DtlsError.ProtocolError, message, innerException)
    {
    }

    public DtlsException(DtlsError error, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Error = error;
    }

    public DtlsError Error { get; }

    /// <summary>True when trying again (new candidate pair, new profile) might succeed.</summary>
    public bool IsTransient => Error is DtlsError.HandshakeTimeout or DtlsError.TransportClosed;

    /// <summary>The TLS alert description involved, when one was sent or received.</summary>
    public int? AlertDescription { get; init; }
}
