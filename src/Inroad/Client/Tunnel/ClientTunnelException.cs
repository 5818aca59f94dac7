namespace Inroad.Client.Tunnel;

/// <summary>The tunnel could not be established or was refused by the server.</summary>
public sealed class ClientTunnelException : Exception
{
    public ClientTunnelException()
    {
    }

    public ClientTunnelException(string message)
        : base(message)
    {
    }

    public ClientTunnelException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
