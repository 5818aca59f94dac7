namespace Inroad.Client.Tunnel;

/// <summary>Where the client's tunnel stands.</summary>
public enum TunnelState
{
    /// <summary>Looking for a proxy and establishing the tunnel.</summary>
    Connecting,

    /// <summary>A tunnel is up; local proxy connections go through it.</summary>
    Connected,

    /// <summary>The last attempt or tunnel failed; waiting before the next dial.</summary>
    Waiting,

    /// <summary>Stopped.</summary>
    Stopped,
}
