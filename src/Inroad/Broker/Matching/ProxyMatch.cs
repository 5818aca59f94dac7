using Inroad.Protocol;

namespace Inroad.Broker.Matching;

/// <summary>A client offer paired with a proxy announcement.</summary>
internal sealed class ProxyMatch
{
    internal ProxyMatch(OfferTicket offer, AnnouncementTicket announcement, Id32 connectionId, int protocolVersion, bool isPriority)
    {
        Offer = offer;
        Announcement = announcement;
        ConnectionId = connectionId;
        ProtocolVersion = protocolVersion;
        IsPriority = isPriority;
    }

    /// <summary>The client's side.</summary>
    public OfferTicket Offer { get; }

    /// <summary>The proxy's side.</summary>
    public AnnouncementTicket Announcement { get; }

    /// <summary>Random, unguessable; the key of the pending answer together with the proxy ID.</summary>
    public Id32 ConnectionId { get; }

    /// <summary>The negotiated broker API protocol version.</summary>
    public int ProtocolVersion { get; }

    /// <summary>True when matched in a personal compartment.</summary>
    public bool IsPersonal => Offer.Kind == CompartmentKind.Personal;

    /// <summary>True when the announcement came from the priority-common queue.</summary>
    public bool IsPriority { get; }
}
