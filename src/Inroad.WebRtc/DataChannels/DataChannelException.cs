namespace Inroad.WebRtc.DataChannels;

/// <summary>The one exception type of the data channel layer.</summary>
internal sealed class DataChannelException : Exception
{
    public DataChannelException()
    {
    }

    public DataChannelException(string message)
        : base(message)
    {
    }

    public DataChannelException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
