using System.Diagnostics.CodeAnalysis;

namespace Inroad.WebRtc.Sctp;

/// <summary>The one exception type of the SCTP layer; <see cref="Error"/> says what went wrong.</summary>
internal sealed class SctpException : Exception
{
    public SctpException()
    {
    }

    public SctpException(string message)
        : base(message)
    {
    }

    public SctpException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public SctpException(SctpError error, string message)
        : base(message)
    {
        Error = error;
    }

    public SctpError Error { get; }

    [DoesNotReturn]
    public static void Throw(SctpError error, string message) => throw new SctpException(error, message);
}
