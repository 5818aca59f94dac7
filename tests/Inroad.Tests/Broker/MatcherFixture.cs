using System.Net;
using Inroad.Broker.Matching;
using Inroad.Protocol;

namespace Inroad.Tests.Broker;

/// <summary>Builders for matcher tests: compact announcements and offers with sensible defaults.</summary>
internal static class MatcherFixture
{
    public const long AnnounceTimeoutMs = 120_000;
    public const long OfferTimeoutMs = 10_000;

    public static readonly Id32 CommonA = IdOf(0xA1);
    public static readonly Id32 CommonB = IdOf(0xB2);
    public static readonly Id32 PersonalA = IdOf(0xC3);

    public static readonly GeoKey ClientGeo = GeoKey.From("IR", 100);
    public static readonly GeoKey ProxyGeo = GeoKey.From("DE", 200);

    private static int s_nextIp = 1;

    /// <summary>The outcome of a ticket the matcher must already have completed.</summary>
    public static ProxyMatch? Done(this MatchTicket ticket)
    {
        Assert.True(ticket.IsCompleted, "the ticket should be complete");
        return ticket.Result;
    }

    public static Id32 IdOf(byte b)
    {
        byte[] bytes = new byte[32];
        Array.Fill(bytes, b);
        return Id32.From(bytes);
    }

    public static RateLimitKey NewIp()
    {
        int n = Interlocked.Increment(ref s_nextIp);
        return Ip($"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}");
    }

    public static RateLimitKey Ip(string address) => RateLimitKey.From(IPAddress.Parse(address));

    public static AnnouncementTicket Announcement(
        long nowMs,
        Id32? compartment = null,
        CompartmentKind kind = CompartmentKind.Common,
        NatTraversalClass nat = NatTraversalClass.Unlimited,
        bool priority = false,
        int version = ProtocolVersions.V1,
        GeoKey? geo = null,
        RateLimitKey? ip = null,
        Id32? proxyId = null,
        long timeoutMs = AnnounceTimeoutMs) =>
        new(
            proxyId ?? Id32.NewRandom(),
            new CompartmentKey(kind, compartment ?? CommonA),
            priority,
            nat,
            version,
            geo ?? ProxyGeo,
            ip ?? NewIp(),
            nowMs + timeoutMs);

    public static OfferTicket Offer(
        long nowMs,
        Id32[]? compartments = null,
        CompartmentKind kind = CompartmentKind.Common,
        NatTraversalClass nat = NatTraversalClass.Unlimited,
        int version = ProtocolVersions.V1,
        bool mediaStreams = false,
        GeoKey? geo = null,
        RateLimitKey? ip = null,
        long timeoutMs = OfferTimeoutMs) =>
        new(kind, compartments ?? [CommonA], nat, version, mediaStreams, geo ?? ClientGeo, ip ?? NewIp(), nowMs + timeoutMs);
}
