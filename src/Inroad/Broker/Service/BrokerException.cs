namespace Inroad.Broker.Service;

/// <summary>
/// A request the broker refuses without an API answer: malformed or unknown record, load shedding. The
/// HTTP host turns it into the same generic 404 as every other failure, so a prober learns nothing.
/// </summary>
internal sealed class BrokerException : Exception
{
    public BrokerException()
    {
    }

    public BrokerException(string message)
        : base(message)
    {
    }

    public BrokerException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
