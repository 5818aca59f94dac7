using Inroad.Broker.Matching;
using Inroad.Protocol;
using static Inroad.Tests.Broker.MatcherFixture;

namespace Inroad.Tests.Broker;

public sealed class MatcherTests
{
    private const long T0 = 1_000_000;

    private static Matcher NewMatcher(Action<MatcherOptions>? configure = null)
    {
        var options = new MatcherOptions();
        configure?.Invoke(options);
        return new Matcher(options);
    }

    [Fact]
    public void Offer_matches_a_queued_announcement_and_completes_both_tickets()
    {
        Matcher matcher = NewMatcher();
        AnnouncementTicket announcement = Announcement(T0);
        Assert.Equal(MatchOutcome.Queued, matcher.Announce(announcement, T0));
        Assert.False(announcement.IsCompleted);

        OfferTicket offer = Offer(T0 + 10);
        Assert.Equal(MatchOutcome.Matched, matcher.Offer(offer, T0 + 10));

        ProxyMatch? fromOffer = offer.Done();
        Assert.NotNull(fromOffer);
        Assert.Same(fromOffer, announcement.Done());
        Assert.Same(announcement, fromOffer.Announcement);
        Assert.False(fromOffer.ConnectionId.IsZero);
        Assert.Equal(ProtocolVersions.V1, fromOffer.ProtocolVersion);
        Assert.Equal(0, matcher.AnnouncementCount);
        Assert.Equal(0, matcher.OfferCount);
        Assert.Equal(1, matcher.PendingAnswerCount);
        Assert.Equal(0, matcher.CompartmentCount);
    }

    [Fact]
    public void Waiting_offer_is_matched_by_the_next_announcement()
    {
        Matcher matcher = NewMatcher();
        OfferTicket offer = Offer(T0);
        Assert.Equal(MatchOutcome.Queued, matcher.Offer(offer, T0));
        Assert.Equal(1, matcher.OfferCount);

        AnnouncementTicket announcement = Announcement(T0 + 100);
        Assert.Equal(MatchOutcome.Matched, matcher.Announce(announcement, T0 + 100));
        Assert.Same(offer.Done(), announcement.Done());
        Assert.Equal(0, matcher.OfferCount);
        Assert.Equal(0, matcher.AnnouncementCount);
    }

    [Fact]
    public void Announcements_are_matched_oldest_first()
    {
        Matcher matcher = NewMatcher();
        AnnouncementTicket first = Announcement(T0);
        AnnouncementTicket second = Announcement(T0 + 1);
        matcher.Announce(first, T0);
        matcher.Announce(second, T0 + 1);

        matcher.Offer(Offer(T0 + 2), T0 + 2);
        Assert.True(first.IsCompleted);
        Assert.False(second.IsCompleted);
    }

    [Fact]
    public void Waiting_offers_are_matched_oldest_first()
    {
        Matcher matcher = NewMatcher();
        OfferTicket first = Offer(T0);
        OfferTicket second = Offer(T0 + 1);
        matcher.Offer(first, T0);
        matcher.Offer(second, T0 + 1);

        matcher.Announce(Announcement(T0 + 2), T0 + 2);
        Assert.NotNull(first.Done());
        Assert.False(second.IsCompleted);
    }

    [Fact]
    public void Common_and_personal_compartments_with_the_same_id_bytes_never_cross()
    {
        Matcher matcher = NewMatcher();
        AnnouncementTicket personal = Announcement(T0, compartment: CommonA, kind: CompartmentKind.Personal);
        matcher.Announce(personal, T0);

        OfferTicket common = Offer(T0, [CommonA], CompartmentKind.Common);
        Assert.Equal(MatchOutcome.Queued, matcher.Offer(common, T0));
        Assert.False(personal.IsCompleted);

        OfferTicket matching = Offer(T0, [CommonA], CompartmentKind.Personal);
        Assert.Equal(MatchOutcome.Matched, matcher.Offer(matching, T0));
        Assert.True(matching.Done()!.IsPersonal);
        Assert.False(common.IsCompleted);
    }

    [Fact]
    public void Different_compartment_ids_never_match()
    {
        Matcher matcher = NewMatcher();
        AnnouncementTicket inB = Announcement(T0, compartment: CommonB);
        matcher.Announce(inB, T0);

        Assert.Equal(MatchOutcome.Queued, matcher.Offer(Offer(T0, [CommonA]), T0));
        Assert.False(inB.IsCompleted);

        OfferTicket either = Offer(T0, [CommonA, CommonB]);
        Assert.Equal(MatchOutcome.Matched, matcher.Offer(either, T0));
        Assert.Same(inB, either.Done()!.Announcement);
    }

    [Fact]
    public void Personal_offer_matches_only_the_same_personal_id()
    {
        Matcher matcher = NewMatcher();
        AnnouncementTicket other = Announcement(T0, compartment: IdOf(0x01), kind: CompartmentKind.Personal);
        matcher.Announce(other, T0);

        OfferTicket offer = Offer(T0, [PersonalA], CompartmentKind.Personal);
        Assert.Equal(MatchOutcome.Queued, matcher.Offer(offer, T0));

        AnnouncementTicket mine = Announcement(T0 + 1, compartment: PersonalA, kind: CompartmentKind.Personal);
        Assert.Equal(MatchOutcome.Matched, matcher.Announce(mine, T0 + 1));
        Assert.Same(mine, offer.Done()!.Announcement);
        Assert.False(other.IsCompleted);
    }

    [Fact]
    public void Unlimited_client_prefers_a_newer_strictly_limited_proxy()
    {
        Matcher matcher = NewMatcher();
        AnnouncementTicket unlimited = Announcement(T0, nat: NatTraversalClass.Unlimited);
        AnnouncementTicket strict = Announcement(T0 + 1, nat: NatTraversalClass.StrictlyLimited);
        matcher.Announce(unlimited, T0);
        matcher.Announce(strict, T0 + 1);

        OfferTicket offer = Offer(T0 + 2, nat: NatTraversalClass.Unlimited);
        matcher.Offer(offer, T0 + 2);
        Assert.Same(strict, offer.Done()!.Announcement);
        Assert.False(unlimited.IsCompleted);
    }

    [Fact]
    public void Strictly_limited_client_prefers_a_newer_unlimited_proxy()
    {
        Matcher matcher = NewMatcher();
        AnnouncementTicket strict = Announcement(T0, nat: NatTraversalClass.StrictlyLimited);
        AnnouncementTicket partial = Announcement(T0 + 1, nat: NatTraversalClass.PartiallyLimited);
        AnnouncementTicket unlimited = Announcement(T0 + 2, nat: NatTraversalClass.Unlimited);
        matcher.Announce(strict, T0);
        matcher.Announce(partial, T0 + 1);
        matcher.Announce(unlimited, T0 + 2);

        OfferTicket offer = Offer(T0 + 3, nat: NatTraversalClass.StrictlyLimited);
        matcher.Offer(offer, T0 + 3);
        Assert.Same(unlimited, offer.Done()!.Announcement);
    }

    [Fact]
    public void Partially_limited_client_prefers_unlimited_or_partial_over_an_older_strict_proxy()
    {
        Matcher matcher = NewMatcher();
        AnnouncementTicket strict = Announcement(T0, nat: NatTraversalClass.StrictlyLimited);
        AnnouncementTicket partial = Announcement(T0 + 1, nat: NatTraversalClass.PartiallyLimited);
        AnnouncementTicket unlimited = Announcement(T0 + 2, nat: NatTraversalClass.Unlimited);
        matcher.Announce(strict, T0);
        matcher.Announce(partial, T0 + 1);
        matcher.Announce(unlimited, T0 + 2);

        OfferTicket offer = Offer(T0 + 3, nat: NatTraversalClass.PartiallyLimited);
        matcher.Offer(offer, T0 + 3);
        Assert.Same(partial, offer.Done()!.Announcement); // both preferred: the older one
    }

    [Fact]
    public void A_non_preferred_nat_class_is_still_matched_when_nothing_better_is_queued()
    {
        Matcher matcher = NewMatcher();
        AnnouncementTicket strict = Announcement(T0, nat: NatTraversalClass.StrictlyLimited);
        matcher.Announce(strict, T0);

        OfferTicket offer = Offer(T0 + 1, nat: NatTraversalClass.StrictlyLimited);
        Assert.Equal(MatchOutcome.Matched, matcher.Offer(offer, T0 + 1));
        Assert.Same(strict, offer.Done()!.Announcement);
    }

    [Fact]
    public void Priority_announcements_are_matched_before_older_normal_ones()
    {
        Matcher matcher = NewMatcher();
        AnnouncementTicket normal = Announcement(T0, nat: NatTraversalClass.StrictlyLimited);
        AnnouncementTicket priority = Announcement(T0 + 1, nat: NatTraversalClass.Unlimited, priority: true);
        matcher.Announce(normal, T0);
        matcher.Announce(priority, T0 + 1);

        // Even a NAT-preferred normal proxy loses to a priority one.
        OfferTicket offer = Offer(T0 + 2, nat: NatTraversalClass.Unlimited);
        matcher.Offer(offer, T0 + 2);
        Assert.Same(priority, offer.Done()!.Announcement);
        Assert.True(offer.Done()!.IsPriority);
    }

    [Fact]
    public void Personal_announcements_are_never_priority()
    {
        AnnouncementTicket ticket = Announcement(T0, compartment: PersonalA, kind: CompartmentKind.Personal, priority: true);
        Assert.False(ticket.IsPriority);
    }

    [Fact]
    public void Same_country_and_asn_are_never_matched_in_common_compartments()
    {
        Matcher matcher = NewMatcher();
        AnnouncementTicket sameNetwork = Announcement(T0, geo: ClientGeo);
        matcher.Announce(sameNetwork, T0);

        OfferTicket offer = Offer(T0 + 1, geo: ClientGeo);
        Assert.Equal(MatchOutcome.Queued, matcher.Offer(offer, T0 + 1));
        Assert.False(sameNetwork.IsCompleted);

        // Same country, different ASN is fine.
        AnnouncementTicket otherAsn = Announcement(T0 + 2, geo: GeoKey.From("IR", 101));
        Assert.Equal(MatchOutcome.Matched, matcher.Announce(otherAsn, T0 + 2));
        Assert.Same(otherAsn, offer.Done()!.Announcement);
    }

    [Fact]
    public void Same_country_and_asn_are_matched_in_personal_compartments()
    {
        Matcher matcher = NewMatcher();
        matcher.Announce(Announcement(T0, compartment: PersonalA, kind: CompartmentKind.Personal, geo: ClientGeo), T0);
        OfferTicket offer = Offer(T0 + 1, [PersonalA], CompartmentKind.Personal, geo: ClientGeo);
        Assert.Equal(MatchOutcome.Matched, matcher.Offer(offer, T0 + 1));
    }

    [Fact]
    public void Same_asn_matching_can_be_allowed_for_labs()
    {
        Matcher matcher = NewMatcher(o => o.AllowCommonAsnMatching = true);
        matcher.Announce(Announcement(T0, geo: ClientGeo), T0);
        Assert.Equal(MatchOutcome.Matched, matcher.Offer(Offer(T0 + 1, geo: ClientGeo), T0 + 1));
    }

    [Fact]
    public void Offer_with_less_than_the_minimum_deadline_left_is_dropped()
    {
        Matcher matcher = NewMatcher();
        AnnouncementTicket announcement = Announcement(T0);
        matcher.Announce(announcement, T0);

        OfferTicket late = Offer(T0, timeoutMs: 999);
        Assert.Equal(MatchOutcome.NoMatch, matcher.Offer(late, T0));
        Assert.False(announcement.IsCompleted);
        Assert.Equal(0, matcher.OfferCount);
    }

    [Fact]
    public void Waiting_offer_that_ran_short_of_time_is_dropped_not_matched()
    {
        Matcher matcher = NewMatcher();
        OfferTicket offer = Offer(T0, timeoutMs: 5_000);
        matcher.Offer(offer, T0);

        AnnouncementTicket announcement = Announcement(T0 + 4_500);
        Assert.Equal(MatchOutcome.Queued, matcher.Announce(announcement, T0 + 4_500));
        Assert.Null(offer.Done());
        Assert.Equal(0, matcher.OfferCount);
        Assert.Equal(1, matcher.AnnouncementCount);
    }

    [Fact]
    public void Expired_announcement_is_not_matched_and_completes_with_null()
    {
        Matcher matcher = NewMatcher();
        AnnouncementTicket expired = Announcement(T0, timeoutMs: 1_000);
        matcher.Announce(expired, T0);

        OfferTicket offer = Offer(T0 + 1_000);
        Assert.Equal(MatchOutcome.Queued, matcher.Offer(offer, T0 + 1_000));
        Assert.Null(expired.Done());
        Assert.Equal(0, matcher.AnnouncementCount);
    }

    [Fact]
    public void Only_the_matched_proxy_can_answer_and_only_once()
    {
        Matcher matcher = NewMatcher();
        Id32 proxyId = Id32.NewRandom();
        matcher.Announce(Announcement(T0, proxyId: proxyId), T0);
        OfferTicket offer = Offer(T0);
        matcher.Offer(offer, T0);
        Id32 connectionId = offer.Done()!.ConnectionId;

        Assert.False(matcher.TryTakePendingAnswer(Id32.NewRandom(), connectionId, out _));
        Assert.False(matcher.TryTakePendingAnswer(proxyId, Id32.NewRandom(), out _));
        Assert.True(matcher.TryTakePendingAnswer(proxyId, connectionId, out ProxyMatch? match));
        Assert.Same(offer, match!.Offer);
        Assert.False(matcher.TryTakePendingAnswer(proxyId, connectionId, out _));
    }

    [Fact]
    public void Answer_after_the_client_left_finds_no_awaiting_client()
    {
        Matcher matcher = NewMatcher();
        Id32 proxyId = Id32.NewRandom();
        matcher.Announce(Announcement(T0, proxyId: proxyId), T0);
        OfferTicket offer = Offer(T0);
        matcher.Offer(offer, T0);
        Id32 connectionId = offer.Done()!.ConnectionId;

        Assert.True(matcher.RemovePendingAnswer(connectionId));
        Assert.False(matcher.TryTakePendingAnswer(proxyId, connectionId, out _));
    }

    [Fact]
    public void Announcements_per_ip_are_limited_to_the_entry_count()
    {
        Matcher matcher = NewMatcher(o => o.AnnouncementLimitEntryCount = 3);
        RateLimitKey ip = Ip("192.0.2.7");
        var tickets = new List<AnnouncementTicket>();
        for (int i = 0; i < 3; i++)
        {
            tickets.Add(Announcement(T0, ip: ip));
            Assert.Equal(MatchOutcome.Queued, matcher.Announce(tickets[^1], T0));
        }

        Assert.Equal(MatchOutcome.Limited, matcher.Announce(Announcement(T0, ip: ip), T0));
        Assert.Equal(MatchOutcome.Queued, matcher.Announce(Announcement(T0, ip: Ip("192.0.2.8")), T0));

        Assert.True(matcher.CancelAnnouncement(tickets[0]));
        Assert.Null(tickets[0].Done());
        Assert.Equal(MatchOutcome.Queued, matcher.Announce(Announcement(T0, ip: ip), T0));
    }

    [Fact]
    public void Announcement_rate_per_ip_is_a_token_bucket()
    {
        Matcher matcher = NewMatcher(o =>
        {
            o.AnnouncementRateQuantity = 4;
            o.AnnouncementRateInterval = TimeSpan.FromSeconds(4);
        });
        RateLimitKey ip = Ip("192.0.2.9");
        for (int i = 0; i < 4; i++)
        {
            AnnouncementTicket t = Announcement(T0, ip: ip);
            Assert.Equal(MatchOutcome.Queued, matcher.Announce(t, T0));
            matcher.CancelAnnouncement(t); // entries free; only the rate limits now
        }

        Assert.Equal(MatchOutcome.Limited, matcher.Announce(Announcement(T0, ip: ip), T0));
        Assert.Equal(MatchOutcome.Limited, matcher.Announce(Announcement(T0 + 500, ip: ip), T0 + 500));
        Assert.Equal(MatchOutcome.Queued, matcher.Announce(Announcement(T0 + 1_000, ip: ip), T0 + 1_000));
    }

    [Fact]
    public void Offers_per_ip_are_limited_by_entry_count_and_rate()
    {
        Matcher matcher = NewMatcher(o =>
        {
            o.OfferLimitEntryCount = 2;
            o.OfferRateQuantity = 3;
        });
        RateLimitKey ip = Ip("198.51.100.4");
        OfferTicket a = Offer(T0, ip: ip);
        Assert.Equal(MatchOutcome.Queued, matcher.Offer(a, T0));
        Assert.Equal(MatchOutcome.Queued, matcher.Offer(Offer(T0, ip: ip), T0));
        Assert.Equal(MatchOutcome.Limited, matcher.Offer(Offer(T0, ip: ip), T0)); // entries (and spends the 3rd token)

        Assert.True(matcher.CancelOffer(a));
        Assert.Null(a.Done());
        Assert.Equal(MatchOutcome.Limited, matcher.Offer(Offer(T0, ip: ip), T0)); // rate: bucket empty
        Assert.Equal(MatchOutcome.Queued, matcher.Offer(Offer(T0 + 30_000, ip: ip), T0 + 30_000));
    }

    [Fact]
    public void Ipv6_limits_apply_per_slash_56()
    {
        Matcher matcher = NewMatcher(o => o.AnnouncementLimitEntryCount = 1);
        Assert.Equal(MatchOutcome.Queued, matcher.Announce(Announcement(T0, ip: Ip("2001:db8:0:1200::1")), T0));
        Assert.Equal(MatchOutcome.Limited, matcher.Announce(Announcement(T0, ip: Ip("2001:db8:0:12ff:ffff::2")), T0));
        Assert.Equal(MatchOutcome.Queued, matcher.Announce(Announcement(T0, ip: Ip("2001:db8:0:1300::1")), T0));
    }

    [Fact]
    public void Ipv4_mapped_ipv6_shares_the_ipv4_limit()
    {
        Assert.Equal(Ip("192.0.2.1"), Ip("::ffff:192.0.2.1"));
        Assert.NotEqual(Ip("192.0.2.1"), Ip("192.0.2.2"));
    }

    [Fact]
    public void Under_load_the_longer_queue_is_shed()
    {
        bool loaded = false;
        Matcher matcher = NewMatcher(o => o.IsLoadLimiting = () => loaded);
        matcher.Announce(Announcement(T0, compartment: CommonB), T0);
        loaded = true;
        Assert.Equal(MatchOutcome.Shed, matcher.Announce(Announcement(T0, compartment: CommonB), T0));
        Assert.Equal(MatchOutcome.Queued, matcher.Offer(Offer(T0, [CommonA]), T0)); // 0 offers < 1 announcement / 2
        Assert.Equal(MatchOutcome.Shed, matcher.Offer(Offer(T0, [CommonA]), T0)); // 1 offer ≥ 1 announcement / 2
        loaded = false;
        Assert.Equal(MatchOutcome.Queued, matcher.Announce(Announcement(T0, compartment: CommonB), T0));
    }

    [Fact]
    public void Queue_caps_shed_requests()
    {
        Matcher matcher = NewMatcher(o => o.MaxAnnouncements = 1);
        Assert.Equal(MatchOutcome.Queued, matcher.Announce(Announcement(T0), T0));
        Assert.Equal(MatchOutcome.Shed, matcher.Announce(Announcement(T0), T0));
    }

    [Fact]
    public void Media_streams_need_a_v2_proxy()
    {
        Matcher matcher = NewMatcher();
        AnnouncementTicket v1 = Announcement(T0, version: ProtocolVersions.V1);
        matcher.Announce(v1, T0);
        OfferTicket offer = Offer(T0 + 1, version: ProtocolVersions.V2, mediaStreams: true);
        Assert.Equal(MatchOutcome.Queued, matcher.Offer(offer, T0 + 1));

        AnnouncementTicket v2 = Announcement(T0 + 2, version: ProtocolVersions.V2);
        Assert.Equal(MatchOutcome.Matched, matcher.Announce(v2, T0 + 2));
        Assert.Equal(ProtocolVersions.V2, offer.Done()!.ProtocolVersion);
        Assert.False(v1.IsCompleted);
    }

    [Theory]
    [InlineData(1, 1, false, 1)]
    [InlineData(2, 1, false, 1)]
    [InlineData(1, 2, false, 1)]
    [InlineData(2, 2, false, 2)]
    [InlineData(2, 2, true, 2)]
    [InlineData(1, 2, true, 0)]
    [InlineData(3, 2, false, 2)]
    [InlineData(2, 3, false, 0)]
    [InlineData(0, 1, false, 0)]
    public void Protocol_version_negotiation(int proxy, int client, bool media, int expected) =>
        Assert.Equal(expected, ProtocolVersions.Negotiate(proxy, client, media));

    [Fact]
    public void Cancel_after_match_returns_false_and_the_ticket_keeps_the_match()
    {
        Matcher matcher = NewMatcher();
        AnnouncementTicket announcement = Announcement(T0);
        matcher.Announce(announcement, T0);
        matcher.Offer(Offer(T0), T0);
        Assert.False(matcher.CancelAnnouncement(announcement));
        Assert.NotNull(announcement.Done());
    }

    [Fact]
    public void Tickets_are_single_use()
    {
        Matcher matcher = NewMatcher();
        AnnouncementTicket announcement = Announcement(T0);
        matcher.Announce(announcement, T0);
        Assert.Throws<InvalidOperationException>(() => matcher.Announce(announcement, T0));
    }

    [Fact]
    public void Probing_stops_at_the_probe_limit()
    {
        Matcher matcher = NewMatcher(o => o.ProbeLimit = 5);
        for (int i = 0; i < 5; i++)
        {
            matcher.Announce(Announcement(T0 + i, geo: ClientGeo), T0 + i); // unacceptable: same network
        }

        AnnouncementTicket sixth = Announcement(T0 + 10);
        matcher.Announce(sixth, T0 + 10);
        OfferTicket offer = Offer(T0 + 20);
        Assert.Equal(MatchOutcome.Queued, matcher.Offer(offer, T0 + 20));
        Assert.False(sixth.IsCompleted);
    }

    [Fact]
    public void Empty_compartments_are_forgotten()
    {
        Matcher matcher = NewMatcher();
        OfferTicket offer = Offer(T0, [CommonA, CommonB, IdOf(9)]);
        matcher.Offer(offer, T0);
        Assert.Equal(3, matcher.CompartmentCount);
        matcher.CancelOffer(offer);
        Assert.Equal(0, matcher.CompartmentCount);
    }

    [Fact]
    public void Nat_effective_type_rules()
    {
        Assert.Equal(NatTraversalClass.Unlimited, NatType.Effective(NatType.Unknown, hasPortMapping: true, NetworkType.Mobile).TraversalClass);
        Assert.Equal(NatType.Mobile, NatType.Effective(NatType.Unknown, hasPortMapping: false, NetworkType.Mobile));
        Assert.Equal(NatType.Unknown, NatType.Effective(NatType.Unknown, hasPortMapping: false, NetworkType.WiFi));
        Assert.Equal(NatTraversalClass.StrictlyLimited, NatType.Unknown.TraversalClass);
        Assert.Equal(NatTraversalClass.PartiallyLimited, new NatType(NatBehavior.EndpointIndependent, NatBehavior.AddressPortDependent).TraversalClass);
        Assert.Equal(NatTraversalClass.Unlimited, new NatType(NatBehavior.EndpointIndependent, NatBehavior.AddressDependent).TraversalClass);
        Assert.Equal(NatTraversalClass.StrictlyLimited, new NatType(NatBehavior.AddressDependent, NatBehavior.EndpointIndependent).TraversalClass);
        Assert.Equal(7, new NatType(NatBehavior.EndpointIndependent, NatBehavior.AddressPortDependent).ToWire());
        Assert.Equal(NatType.Unknown, NatType.FromWire(16));
    }

    [Fact]
    public void Options_validation_names_the_bad_property()
    {
        var options = new MatcherOptions { ProbeLimit = 0 };
        ArgumentOutOfRangeException e = Assert.Throws<ArgumentOutOfRangeException>(options.Validate);
        Assert.Equal(nameof(MatcherOptions.ProbeLimit), e.ParamName);
    }
}
