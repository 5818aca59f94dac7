namespace Inroad.Brokers;

/// <summary>
/// Requester-side timeouts (design §2.4): each is longer than the broker's own handler timeout, so the broker
/// answers NoMatch before the requester gives up.
/// </summary>
internal static class BrokerRequestTimeouts
{
    /// <summary>ProxyAnnounce (broker waits 2 min).</summary>
    public static readonly TimeSpan Announce = TimeSpan.FromSeconds(130);

    /// <summary>ClientOffer in common mode (broker waits 10 s).</summary>
    public static readonly TimeSpan Offer = TimeSpan.FromSeconds(20);

    /// <summary>ClientOffer in personal mode (broker waits 5 s).</summary>
    public static readonly TimeSpan PersonalOffer = TimeSpan.FromSeconds(15);

    /// <summary>ProxyAnswer.</summary>
    public static readonly TimeSpan Answer = TimeSpan.FromSeconds(20);

    /// <summary>ClientRelayedPacket.</summary>
    public static readonly TimeSpan RelayedPacket = TimeSpan.FromSeconds(35);
}
