using Inroad.Broker.Matching;
using Inroad.Protocol;
using static Inroad.Tests.Broker.MatcherFixture;

namespace Inroad.Tests.Broker;

/// <summary>
/// 10,000 seeded random announces, offers, cancellations and answers against a brute-force model of the
/// matching rules: every outcome must be exactly the one the model predicts.
/// </summary>
public sealed class MatcherRandomTests
{
    private const int EntryLimit = 4;

    private static readonly Id32[] Commons = [IdOf(1), IdOf(2), IdOf(3)];
    private static readonly Id32[] Personals = [IdOf(4), IdOf(5)];
    private static readonly GeoKey[] Geos = [GeoKey.From("IR", 1), GeoKey.From("IR", 2), GeoKey.From("DE", 1), GeoKey.Unknown];

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Random_interleavings_match_the_model(int seed)
    {
        var random = new Random(seed);
        var matcher = new Matcher(new MatcherOptions
        {
            ProbeLimit = 100_000,
            AnnouncementLimitEntryCount = EntryLimit,
            OfferLimitEntryCount = EntryLimit,
            AnnouncementRateQuantity = 1_000_000,
            OfferRateQuantity = 1_000_000,
        });
        RateLimitKey[] ips = Enumerable.Range(1, 12).Select(i => Ip($"203.0.113.{i}")).ToArray();
        var announcements = new List<AnnouncementTicket>();
        var offers = new List<OfferTicket>();
        var matches = new MatchSet();
        long now = 1_000_000;
        int matched = 0, limited = 0, queued = 0;

        for (int step = 0; step < 10_000; step++)
        {
            now += random.Next(1, 120);
            ExpireLikeTheService(matcher, announcements, offers, now);
            Sync(announcements, offers, matches);

            switch (random.Next(10))
            {
                case < 4:
                {
                    AnnouncementTicket a = RandomAnnouncement(random, ips, now);
                    OfferTicket? expected = ExpectedOffer(offers, a, now);
                    int ipCount = announcements.Count(x => x.Ip == a.Ip);
                    MatchOutcome outcome = matcher.Announce(a, now);
                    if (ipCount >= EntryLimit)
                    {
                        Assert.Equal(MatchOutcome.Limited, outcome);
                        limited++;
                        break;
                    }

                    if (expected is null)
                    {
                        Assert.Equal(MatchOutcome.Queued, outcome);
                        announcements.Add(a);
                        queued++;
                    }
                    else
                    {
                        Assert.Equal(MatchOutcome.Matched, outcome);
                        Assert.Same(expected, a.Done()!.Offer);
                        offers.Remove(expected);
                        matches.Add(a.Done()!);
                        matched++;
                    }

                    break;
                }

                case < 8:
                {
                    OfferTicket o = RandomOffer(random, ips, now);
                    AnnouncementTicket? expected = ExpectedAnnouncement(announcements, o, now);
                    int ipCount = offers.Count(x => x.Ip == o.Ip);
                    MatchOutcome outcome = matcher.Offer(o, now);
                    if (ipCount >= EntryLimit)
                    {
                        Assert.Equal(MatchOutcome.Limited, outcome);
                        limited++;
                    }
                    else if (o.DeadlineMs - now < 1_000)
                    {
                        Assert.Equal(MatchOutcome.NoMatch, outcome);
                    }
                    else if (expected is null)
                    {
                        Assert.Equal(MatchOutcome.Queued, outcome);
                        offers.Add(o);
                        queued++;
                    }
                    else
                    {
                        Assert.Equal(MatchOutcome.Matched, outcome);
                        Assert.Same(expected, o.Done()!.Announcement);
                        announcements.Remove(expected);
                        matches.Add(o.Done()!);
                        matched++;
                    }

                    break;
                }

                case 8 when announcements.Count > 0:
                {
                    AnnouncementTicket a = announcements[random.Next(announcements.Count)];
                    Assert.True(matcher.CancelAnnouncement(a));
                    Assert.Null(a.Done());
                    break;
                }

                case 9 when matches.Count > 0:
                {
                    ProxyMatch m = matches.TakeAt(random.Next(matches.Count));
                    Assert.False(matcher.TryTakePendingAnswer(Id32.NewRandom(), m.ConnectionId, out _));
                    Assert.True(matcher.TryTakePendingAnswer(m.Announcement.ProxyId, m.ConnectionId, out ProxyMatch? taken));
                    Assert.Same(m, taken);
                    break;
                }

                default:
                    break;
            }

            Sync(announcements, offers, matches);
            Assert.Equal(announcements.Count, matcher.AnnouncementCount);
            Assert.Equal(offers.Count, matcher.OfferCount);
            Assert.Equal(matches.Count, matcher.PendingAnswerCount);
        }

        // The run exercised every path.
        Assert.True(matched > 1_000, $"matched {matched}");
        Assert.True(limited > 10, $"limited {limited}");
        Assert.True(queued > 1_000, $"queued {queued}");
    }

    private static AnnouncementTicket RandomAnnouncement(Random random, RateLimitKey[] ips, long now)
    {
        bool personal = random.Next(4) == 0;
        return new AnnouncementTicket(
            Id32.NewRandom(),
            personal ? new CompartmentKey(CompartmentKind.Personal, Personals[random.Next(2)]) : new CompartmentKey(CompartmentKind.Common, Commons[random.Next(3)]),
            !personal && random.Next(5) == 0,
            (NatTraversalClass)random.Next(3),
            random.Next(1, 3),
            Geos[random.Next(Geos.Length)],
            ips[random.Next(ips.Length)],
            now + 8_000); // one timeout, as the broker uses: queues are in deadline order
    }

    private static OfferTicket RandomOffer(Random random, RateLimitKey[] ips, long now)
    {
        bool personal = random.Next(4) == 0;
        Id32[] ids = personal ? [Personals[random.Next(2)]] : Commons.Where(_ => random.Next(2) == 0).DefaultIfEmpty(Commons[0]).ToArray();
        int version = random.Next(1, 3);
        return new OfferTicket(
            personal ? CompartmentKind.Personal : CompartmentKind.Common,
            ids,
            (NatTraversalClass)random.Next(3),
            version,
            version == 2 && random.Next(3) == 0,
            Geos[random.Next(Geos.Length)],
            ips[random.Next(ips.Length)],
            now + (random.Next(20) == 0 ? 900 : random.Next(1_500, 10_000)));
    }

    // What the broker service does: cancel long polls whose time is up.
    private static void ExpireLikeTheService(Matcher matcher, List<AnnouncementTicket> announcements, List<OfferTicket> offers, long now)
    {
        foreach (AnnouncementTicket a in announcements.Where(a => a.DeadlineMs <= now).ToList())
        {
            matcher.CancelAnnouncement(a); // false when the matcher already popped it as expired
            Assert.Null(a.Done());
        }

        foreach (OfferTicket o in offers.Where(o => o.DeadlineMs <= now).ToList())
        {
            matcher.CancelOffer(o);
            Assert.Null(o.Done());
        }
    }

    private static void Sync(List<AnnouncementTicket> announcements, List<OfferTicket> offers, MatchSet matches)
    {
        foreach (AnnouncementTicket a in announcements.Where(a => a.IsCompleted).ToList())
        {
            Assert.Null(a.Done()); // a match would have been predicted and recorded by the step
            announcements.Remove(a);
        }

        foreach (OfferTicket o in offers.Where(o => o.IsCompleted).ToList())
        {
            if (o.Done() is { } m)
            {
                Assert.True(matches.Contains(m));
            }

            offers.Remove(o);
        }
    }

    private static void CheckMatch(ProxyMatch m)
    {
        Assert.Equal(m.Offer.Kind, m.Announcement.Compartment.Kind);
        Assert.Contains(m.Announcement.Compartment.Id, m.Offer.CompartmentIds);
        Assert.NotEqual(0, m.ProtocolVersion);
        if (m.Offer.Kind == CompartmentKind.Common)
        {
            Assert.False(m.Offer.Geo.SameNetworkAs(m.Announcement.Geo));
        }
    }

    private static bool Acceptable(AnnouncementTicket a, OfferTicket o) =>
        a.Compartment.Kind == o.Kind
        && o.CompartmentIds.Contains(a.Compartment.Id)
        && ProtocolVersions.Negotiate(a.ProtocolVersion, o.ProtocolVersion, o.UseMediaStreams) != 0
        && (o.Kind == CompartmentKind.Personal || !o.Geo.SameNetworkAs(a.Geo));

    private static bool Preferred(NatTraversalClass client, NatTraversalClass proxy) => client switch
    {
        NatTraversalClass.Unlimited => proxy == NatTraversalClass.StrictlyLimited,
        NatTraversalClass.PartiallyLimited => proxy != NatTraversalClass.StrictlyLimited,
        _ => proxy == NatTraversalClass.Unlimited,
    };

    private static AnnouncementTicket? ExpectedAnnouncement(List<AnnouncementTicket> announcements, OfferTicket o, long now)
    {
        if (o.DeadlineMs - now < 1_000)
        {
            return null;
        }

        List<AnnouncementTicket> candidates = announcements.Where(a => a.DeadlineMs > now && Acceptable(a, o)).ToList();
        foreach (bool priority in new[] { true, false })
        {
            foreach (bool preferred in new[] { true, false })
            {
                AnnouncementTicket? best = candidates
                    .Where(a => a.IsPriority == priority && Preferred(o.NatClass, a.NatClass) == preferred)
                    .MinBy(a => a.DeadlineMs);
                if (best is not null)
                {
                    return best;
                }
            }
        }

        return null;
    }

    private static OfferTicket? ExpectedOffer(List<OfferTicket> offers, AnnouncementTicket a, long now) =>
        offers.FirstOrDefault(o => o.DeadlineMs - now >= 1_000 && Acceptable(a, o));

    // Pending matches: random pick and O(1) membership.
    private sealed class MatchSet
    {
        private readonly List<ProxyMatch> _list = [];
        private readonly HashSet<ProxyMatch> _set = [];

        public int Count => _list.Count;

        public void Add(ProxyMatch m)
        {
            CheckMatch(m);
            _list.Add(m);
            _set.Add(m);
        }

        public bool Contains(ProxyMatch m) => _set.Contains(m);

        public ProxyMatch TakeAt(int index)
        {
            ProxyMatch m = _list[index];
            _list[index] = _list[^1];
            _list.RemoveAt(_list.Count - 1);
            _set.Remove(m);
            return m;
        }
    }
}
