namespace Inroad.Client.Dial;

/// <summary>An in-proxy dial or broker relay failed; <see cref="Failure"/> says how.</summary>
internal sealed class InproxyDialException : Exception
{
    public InproxyDialException()
    {
    }

    public InproxyDialException(string message)
        : base(message)
    {
    }

    public InproxyDialException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public InproxyDialException(InproxyDialFailure failure, string message, int attempts = 0, Exception? innerException = null)
        : base(message, innerException)
    {
        Failure = failure;
        Attempts = attempts;
    }

    public InproxyDialFailure Failure { get; } = InproxyDialFailure.Failed;

    /// <summary>ClientOffer attempts made before giving up (0 when not from a dial).</summary>
    public int Attempts { get; }

    /// <summary>A redial (possibly through another broker) may succeed: not Limited and not MustUpgrade.</summary>
    public bool IsTransient => Failure is InproxyDialFailure.Timeout or InproxyDialFailure.Failed;
}
