namespace Inroad.Nat;

/// <summary>The one exception type of the NAT layer. Network input never throws it; only a caller's request that failed does.</summary>
public sealed class NatException : Exception
{
    /// <summary>Creates the exception.</summary>
    public NatException(NatError error, string message, Exception? inner = null)
        : base(message, inner) => Error = error;

    /// <summary>Creates the exception with <see cref="NatError.Network"/>.</summary>
    public NatException()
        : this(NatError.Network, "NAT operation failed.")
    {
    }

    /// <summary>Creates the exception with <see cref="NatError.Network"/>.</summary>
    public NatException(string message)
        : this(NatError.Network, message)
    {
    }

    /// <summary>Creates the exception with <see cref="NatError.Network"/>.</summary>
    public NatException(string message, Exception innerException)
        : this(NatError.Network, message, innerException)
    {
    }

    /// <summary>What went wrong.</summary>
    public NatError Error { get; }

    /// <summary>True when trying again later may succeed (timeouts and network failures).</summary>
    public bool IsTransient => Error is NatError.Timeout or NatError.Network;
}
