using System.Net;
using Inroad.Broker.Compartments;
using Inroad.Broker.Destinations;
using Inroad.Broker.Matching;
using Inroad.Broker.Quality;
using Inroad.Broker.Reports;
using Inroad.Broker.Service;
using Inroad.Protocol;
using Inroad.Protocol.Messages;
using Inroad.Sessions.Keys;
using Inroad.Sessions.Records;
using static Inroad.Tests.Broker.BrokerServiceTests;
using static Inroad.Tests.Broker.MatcherFixture;
using Id32 = Inroad.Protocol.Id32;

namespace Inroad.Tests.Broker;

/// <summary>Proxy quality (design §4.5): the broker's store, the report API path, priority and quality-aware matching.</summary>
public sealed class ProxyQualityTests
{
    private static readonly Id32 ProxyA = IdOf(0x11);
    private static readonly Id32 ProxyB = IdOf(0x22);

    private static ProxyQualityStore Store(int maxEntries = 100, int maxAsns = 16) => new(new ProxyQualityOptions
    {
        Enabled = true,
        Ttl = TimeSpan.FromSeconds(100),
        MaxEntries = maxEntries,
        MaxClientAsnsPerEntry = maxAsns,
        PendingFailedMatchDeadline = TimeSpan.FromSeconds(10),
        FailedMatchThreshold = 3,
        MaxPendingMatches = 5,
    });

    [Fact]
    public void A_report_gives_quality_for_its_proxy_and_asn_and_the_reported_client_asns_only()
    {
        ProxyQualityStore store = Store();
        store.Report(new(ProxyA, 200), [300, 301], nowMs: 0);
        Assert.True(store.HasQuality(new(ProxyA, 200), 1));
        Assert.True(store.HasQuality(new(ProxyA, 200), 300u, 1));
        Assert.True(store.HasQuality(new(ProxyA, 200), 301u, 1));
        Assert.False(store.HasQuality(new(ProxyA, 200), 302u, 1));
        Assert.False(store.HasQuality(new(ProxyA, 201), 1)); // the same proxy on another network
        Assert.False(store.HasQuality(new(ProxyB, 200), 1));
    }

    [Fact]
    public void Quality_expires_after_the_ttl_and_a_new_report_refreshes_it()
    {
        ProxyQualityStore store = Store();
        store.Report(new(ProxyA, 200), [300], nowMs: 0);
        store.Report(new(ProxyB, 200), [300], nowMs: 0);
        store.Report(new(ProxyB, 200), [300], nowMs: 60_000);
        Assert.True(store.HasQuality(new(ProxyA, 200), 99_999));
        Assert.False(store.HasQuality(new(ProxyA, 200), 100_000));
        Assert.True(store.HasQuality(new(ProxyB, 200), 159_999));
        Assert.False(store.HasQuality(new(ProxyB, 200), 160_000));
        store.Expire(160_000);
        Assert.Equal(0, store.Count);
    }

    [Fact]
    public void A_full_store_forgets_the_least_recently_reported_entry()
    {
        ProxyQualityStore store = Store(maxEntries: 3);
        for (byte i = 1; i <= 3; i++)
        {
            store.Report(new(IdOf(i), 1), [9], nowMs: i);
        }

        store.Report(new(IdOf(1), 1), [9], nowMs: 10); // refreshed: now the most recent
        store.Report(new(IdOf(4), 1), [9], nowMs: 11);
        Assert.Equal(3, store.Count);
        Assert.False(store.HasQuality(new(IdOf(2), 1), 12));
        Assert.True(store.HasQuality(new(IdOf(1), 1), 12));
        Assert.True(store.HasQuality(new(IdOf(3), 1), 12));
        Assert.True(store.HasQuality(new(IdOf(4), 1), 12));
    }

    [Fact]
    public void Client_asns_per_entry_are_bounded_and_the_most_recent_are_kept()
    {
        ProxyQualityStore store = Store(maxAsns: 4);
        store.Report(new(ProxyA, 1), [1, 2, 3, 4, 5, 6], nowMs: 0);
        Assert.False(store.HasQuality(new(ProxyA, 1), 1u, 1));
        Assert.False(store.HasQuality(new(ProxyA, 1), 2u, 1));
        for (uint asn = 3; asn <= 6; asn++)
        {
            Assert.True(store.HasQuality(new(ProxyA, 1), asn, 1));
        }
    }

    [Fact]
    public void Matches_without_a_report_before_the_deadline_drop_the_entry_at_the_threshold()
    {
        ProxyQualityStore store = Store();
        var key = new ProxyQualityKey(ProxyA, 1);
        store.Report(key, [9], nowMs: 0);
        store.Matched(key, 1_000);
        store.Matched(key, 2_000);
        store.Expire(12_000); // two failures
        Assert.True(store.HasQuality(key, 12_000));
        store.Matched(key, 13_000);
        store.Expire(22_999);
        Assert.True(store.HasQuality(key, 22_999));
        store.Expire(23_000); // third failure
        Assert.False(store.HasQuality(key, 23_000));
        Assert.Equal(0, store.Count);
    }

    [Fact]
    public void A_report_after_a_match_means_the_match_did_not_fail_and_resets_the_count()
    {
        ProxyQualityStore store = Store();
        var key = new ProxyQualityKey(ProxyA, 1);
        store.Report(key, [9], nowMs: 0);
        store.Matched(key, 1_000);
        store.Matched(key, 1_100);
        store.Expire(11_100); // two failures
        store.Matched(key, 12_000);
        store.Report(key, [9], nowMs: 15_000); // the tunnel of the third match was good
        store.Matched(key, 16_000);
        store.Matched(key, 16_100);
        store.Expire(27_000); // the third match is settled as good; the fourth and fifth fail: 2 < 3
        Assert.True(store.HasQuality(key, 27_000));
    }

    [Fact]
    public void Pending_matches_are_bounded_and_only_tracked_for_proxies_with_quality()
    {
        ProxyQualityStore store = Store();
        store.Matched(new(ProxyB, 1), 0);
        Assert.Equal(0, store.PendingMatchCount);
        store.Report(new(ProxyA, 1), [9], nowMs: 0);
        for (int i = 0; i < 20; i++)
        {
            store.Matched(new(ProxyA, 1), i);
        }

        Assert.Equal(5, store.PendingMatchCount);
    }

    [Fact]
    public void Proxy_quality_keys_use_36_bytes_and_65536_for_an_unknown_asn()
    {
        byte[] bytes = new ProxyQualityKey(ProxyA, 0).ToBytes();
        Assert.Equal(36, bytes.Length);
        Assert.Equal(new byte[] { 0, 1, 0, 0 }, bytes[32..]);
        Assert.True(ProxyQualityKey.TryRead(bytes, out ProxyQualityKey back));
        Assert.Equal(new ProxyQualityKey(ProxyA, 0), back);
        Assert.True(ProxyQualityKey.TryRead(new ProxyQualityKey(ProxyA, 13335).ToBytes(), out back));
        Assert.Equal(13335u, back.ProxyAsn);
        Assert.False(ProxyQualityKey.TryRead(bytes[..35], out _));
    }

    [Fact]
    public void Quality_request_round_trips()
    {
        var request = new ServerProxyQualityRequest
        {
            QualityCounts = [new ProxyQualityCounts(new ProxyQualityKey(ProxyA, 7).ToBytes(), [("100", 2), ("200", 1)])],
            DialParameters = new byte[] { 1, 2, 3 },
        };
        Assert.True(CborRecords.TryUnmarshal(CborRecords.Marshal(request), out ServerProxyQualityRequest? back));
        ProxyQualityCounts counts = Assert.Single(back!.QualityCounts);
        Assert.Equal(new ProxyQualityKey(ProxyA, 7).ToBytes(), counts.Key.ToArray());
        Assert.Equal(new[] { ("100", 2L), ("200", 1L) }, counts.ClientAsnCounts);
        Assert.Equal(new byte[] { 1, 2, 3 }, back.DialParameters.ToArray());
    }

    [Fact]
    public void Matcher_prefers_a_priority_proxy_with_quality_for_the_clients_asn_over_an_older_one_without()
    {
        var quality = new HashSet<(Id32, uint, uint)> { (ProxyB, ProxyGeo.Asn, ClientGeo.Asn) };
        foreach (bool withQuality in new[] { false, true })
        {
            var matcher = new Matcher(new MatcherOptions { HasClientQuality = withQuality ? (p, pa, ca) => quality.Contains((p, pa, ca)) : null });

            // A strictly limited client prefers unlimited proxies; both priority proxies are strictly limited (not preferred).
            AnnouncementTicket older = Announcement(0, nat: NatTraversalClass.StrictlyLimited, priority: true, proxyId: ProxyA);
            AnnouncementTicket younger = Announcement(1, nat: NatTraversalClass.StrictlyLimited, priority: true, proxyId: ProxyB);
            Assert.Equal(MatchOutcome.Queued, matcher.Announce(older, 0));
            Assert.Equal(MatchOutcome.Queued, matcher.Announce(younger, 1));
            OfferTicket offer = Offer(2, nat: NatTraversalClass.StrictlyLimited);
            Assert.Equal(MatchOutcome.Matched, matcher.Offer(offer, 2));
            Assert.Equal(withQuality ? ProxyB : ProxyA, offer.Done()!.Announcement.ProxyId);
        }
    }

    [Fact]
    public void Matcher_quality_never_lifts_a_normal_proxy_above_a_priority_one_nor_beats_the_preferred_nat_when_older()
    {
        var matcher = new Matcher(new MatcherOptions { HasClientQuality = (_, _, _) => true });
        AnnouncementTicket preferred = Announcement(0, nat: NatTraversalClass.Unlimited, priority: true, proxyId: ProxyA);
        AnnouncementTicket withQuality = Announcement(1, nat: NatTraversalClass.StrictlyLimited, priority: true, proxyId: ProxyB);
        AnnouncementTicket normal = Announcement(0, nat: NatTraversalClass.Unlimited, priority: false);
        _ = matcher.Announce(normal, 0);
        _ = matcher.Announce(preferred, 0);
        _ = matcher.Announce(withQuality, 1);
        OfferTicket first = Offer(2, nat: NatTraversalClass.StrictlyLimited);
        _ = matcher.Offer(first, 2);
        Assert.Equal(ProxyA, first.Done()!.Announcement.ProxyId); // NAT-preferred and older
        OfferTicket second = Offer(2, nat: NatTraversalClass.StrictlyLimited);
        _ = matcher.Offer(second, 2);
        Assert.Equal(ProxyB, second.Done()!.Announcement.ProxyId); // priority beats the normal tier
    }

    [Fact]
    public async Task Known_server_reports_quality_and_the_proxy_then_announces_with_priority()
    {
        using var serverKey = SessionPrivateKey.Generate();
        (BrokerService service, byte[] entry) = NewService(serverKey, new Dictionary<string, string[]> { ["sponsor_id"] = ["sp-*"] });
        await using BrokerService owned = service;
        CancellationToken ct = Timeout();
        Id32 serverId = Id32.From(serverKey.PublicKey.Id.ToArray());
        byte[] report = CborRecords.Marshal(new ServerProxyQualityRequest
        {
            QualityCounts = [new ProxyQualityCounts(new ProxyQualityKey(ProxyB, 0).ToBytes(), [("64500", 1L)])],
        });

        // Unknown server: refused (generic 404), store untouched.
        await Assert.ThrowsAsync<BrokerException>(async () => await service.HandleAsync(serverId, IPAddress.Loopback, report, ct));
        Assert.Equal(0, service.Quality.Count);

        // A client names the server in a valid offer (no proxy yet: NoMatch); then the server may report.
        ClientOfferResponse none = await Call<ClientOfferRequest, ClientOfferResponse>(service, Id32.NewRandom(), "127.0.0.9", OfferFor(entry), ct);
        Assert.True(none.NoMatch);
        _ = await service.HandleAsync(serverId, IPAddress.Loopback, report, ct);
        Assert.True(service.Quality.HasQuality(new ProxyQualityKey(ProxyB, 0), 64500u, 0));

        // More proxy keys than the broker takes per request: refused.
        byte[] tooMany = CborRecords.Marshal(new ServerProxyQualityRequest
        {
            QualityCounts = Enumerable.Range(1, 3).Select(i => new ProxyQualityCounts(new ProxyQualityKey(ProxyA, (uint)i).ToBytes(), [("1", 1L)])).ToArray(),
        });
        await Assert.ThrowsAsync<BrokerException>(async () => await service.HandleAsync(serverId, IPAddress.Loopback, tooMany, ct));
        Assert.False(service.Quality.HasQuality(new ProxyQualityKey(ProxyA, 1), 0));

        // Malformed key: refused.
        byte[] bad = CborRecords.Marshal(new ServerProxyQualityRequest { QualityCounts = [new ProxyQualityCounts(new byte[35], [("1", 1L)])] });
        await Assert.ThrowsAsync<BrokerException>(async () => await service.HandleAsync(serverId, IPAddress.Loopback, bad, ct));

        // Proxy A (no quality) announces first, proxy B (quality, sponsor matches the filter) second: B is matched.
        using var polls = CancellationTokenSource.CreateLinkedTokenSource(ct);
        Task<ProxyAnnounceResponse> a = Announce(service, ProxyA, "127.0.1.1", "sp-1", polls.Token);
        await WaitQueued(service, 1, ct);
        Task<ProxyAnnounceResponse> b = Announce(service, ProxyB, "127.0.1.2", "sp-1", ct);
        await WaitQueued(service, 2, ct);
        Task<ClientOfferResponse> offer = Call<ClientOfferRequest, ClientOfferResponse>(service, Id32.NewRandom(), "127.0.0.10", OfferFor(entry), ct);
        ProxyAnnounceResponse matched = await b.WaitAsync(ct);
        Assert.True(matched.IsMatch);
        Assert.False(a.IsCompleted);
        Assert.Equal(1, service.Quality.PendingMatchCount); // the match awaits its quality report
        _ = await Call<ProxyAnswerRequest, ProxyAnswerResponse>(service, ProxyB, "127.0.1.2", new ProxyAnswerRequest { ConnectionId = matched.ConnectionId, ProxyAnswerSdp = "v=0\r\na=candidate:1 1 udp 1 127.0.0.1 6000 typ host\r\n" }, ct);
        Assert.False(string.IsNullOrEmpty((await offer.WaitAsync(ct)).ProxyAnswerSdp));
        await polls.CancelAsync();
        _ = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => a);
    }

    [Theory]
    [InlineData("other")] // the filter does not select this sponsor
    [InlineData(null)] // an empty filter prioritises nobody
    public async Task Without_the_filter_selecting_it_a_proxy_with_quality_is_not_prioritised(string? sponsorPattern)
    {
        using var serverKey = SessionPrivateKey.Generate();
        Dictionary<string, string[]> filter = sponsorPattern is null ? [] : new() { ["sponsor_id"] = [sponsorPattern] };
        (BrokerService service, byte[] entry) = NewService(serverKey, filter);
        await using BrokerService owned = service;
        CancellationToken ct = Timeout();
        _ = await Call<ClientOfferRequest, ClientOfferResponse>(service, Id32.NewRandom(), "127.0.0.9", OfferFor(entry), ct);
        service.Quality.Report(new ProxyQualityKey(ProxyB, 0), [1], 0);

        using var polls = CancellationTokenSource.CreateLinkedTokenSource(ct);
        Task<ProxyAnnounceResponse> a = Announce(service, ProxyA, "127.0.1.1", "sp-1", ct);
        await WaitQueued(service, 1, ct);
        Task<ProxyAnnounceResponse> b = Announce(service, ProxyB, "127.0.1.2", "sp-1", polls.Token);
        await WaitQueued(service, 2, ct);
        _ = Call<ClientOfferRequest, ClientOfferResponse>(service, Id32.NewRandom(), "127.0.0.10", OfferFor(entry), ct);
        Assert.True((await a.WaitAsync(ct)).IsMatch); // the older one: no priority
        Assert.False(b.IsCompleted);
        await polls.CancelAsync();
        _ = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => b);
    }

    [Fact]
    public async Task Quality_reports_are_refused_when_quality_is_off_and_disposed_services_refuse_everything()
    {
        using var serverKey = SessionPrivateKey.Generate();
        (BrokerService service, byte[] entry) = NewService(serverKey, [], enabled: false);
        CancellationToken ct = Timeout();
        _ = await Call<ClientOfferRequest, ClientOfferResponse>(service, Id32.NewRandom(), "127.0.0.9", OfferFor(entry), ct);
        byte[] report = CborRecords.Marshal(new ServerProxyQualityRequest { QualityCounts = [new ProxyQualityCounts(new ProxyQualityKey(ProxyB, 0).ToBytes(), [("1", 1L)])] });
        await Assert.ThrowsAsync<BrokerException>(async () => await service.HandleAsync(Id32.From(serverKey.PublicKey.Id.ToArray()), IPAddress.Loopback, report, ct));
        Assert.Equal(0, service.Quality.Count);

        await service.DisposeAsync();
        await service.DisposeAsync(); // twice is fine
        await Assert.ThrowsAsync<BrokerException>(async () => await service.HandleAsync(Id32.NewRandom(), IPAddress.Loopback, CborRecords.Marshal(OfferFor(entry)), ct));
    }

    private static (BrokerService Service, byte[] Entry) NewService(SessionPrivateKey serverKey, Dictionary<string, string[]> filter, bool enabled = true)
    {
        byte[] seed = Enumerable.Range(9, 32).Select(i => (byte)i).ToArray();
        byte[] entry = SignedServerEntry.Sign(
            new ServerEntry
            {
                Tag = "q",
                IpAddress = "192.0.2.10",
                SessionPublicKey = serverKey.PublicKey.Ed25519.ToArray(),
                ObfuscationSecret = new byte[32],
                Capabilities = [new InproxyCapability("INPROXY-WEBRTC-OSSH", 0, 9443)],
            },
            seed);
        var service = new BrokerService(new BrokerServiceOptions
        {
            CommonCompartments = new CommonCompartments([CommonA]),
            Destinations = new DestinationCheck(SignedServerEntry.PublicKeyOf(seed), tag => tag == "q"),
            Geo = new BrokerServiceTests.NoGeo(),
            AllowBogonCandidates = true,
            ClientOfferTimeout = TimeSpan.FromSeconds(2),
            ProxyAnnounceTimeout = TimeSpan.FromSeconds(30),
            Matcher = new MatcherOptions { AllowCommonAsnMatching = true },
            Reports = new ServerReportRelayOptions { PrivateKey = SessionPrivateKey.Generate() },
            Quality = new ProxyQualityOptions { Enabled = enabled, PrioritizeFilter = filter, MaxRequestEntries = 2 },
        });
        return (service, entry);
    }

    private static ClientOfferRequest OfferFor(byte[] entry) => new()
    {
        Metrics = new PeerMetrics { ProtocolVersion = 1 },
        CommonCompartmentIds = [CommonA],
        ClientOfferSdp = "v=0\r\na=candidate:1 1 udp 1 127.0.0.1 5000 typ host\r\n",
        ClientRootObfuscationSecret = new byte[32],
        PackedDestinationServerEntry = entry,
        DestinationAddress = "192.0.2.10:9443",
    };

    private static Task<ProxyAnnounceResponse> Announce(BrokerService service, Id32 proxy, string ip, string sponsor, CancellationToken ct) =>
        Call<ProxyAnnounceRequest, ProxyAnnounceResponse>(service, proxy, ip, new ProxyAnnounceRequest
        {
            Metrics = new PeerMetrics { ProtocolVersion = 1, Parameters = new ApiParameters { SponsorId = sponsor } },
        }, ct);

    private static async Task WaitQueued(BrokerService service, int count, CancellationToken ct)
    {
        while (service.Matcher.AnnouncementCount < count)
        {
            await Task.Delay(5, ct);
        }
    }
}
