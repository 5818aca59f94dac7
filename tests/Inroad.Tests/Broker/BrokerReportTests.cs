using System.Net;
using System.Security.Cryptography;
using Inroad.Broker.Compartments;
using Inroad.Broker.Destinations;
using Inroad.Broker.Http;
using Inroad.Broker.Reports;
using Inroad.Broker.Service;
using Inroad.Protocol;
using Inroad.Protocol.Messages;
using Inroad.Server.BrokerReports;
using Inroad.Sessions;
using Inroad.Sessions.Keys;
using Inroad.Sessions.Obfuscation;
using Inroad.Sessions.Records;
using Id32 = Inroad.Protocol.Id32;

namespace Inroad.Tests.Broker;

/// <summary>
/// The BrokerServerReport relay end to end in memory: a real BrokerService matches a proxy and a client, the test
/// plays the client carrying packets between the broker and a real <see cref="ServerBrokerSessions"/>.
/// </summary>
public sealed class BrokerReportTests
{
    private static readonly byte[] NetworkSeed = Enumerable.Range(40, 32).Select(i => (byte)i).ToArray();
    private static readonly Id32 Common = MatcherFixture.IdOf(0x42);

    /// <summary>A broker and a tunnel server that trust each other, and the server's signed entry.</summary>
    private sealed class Fixture : IDisposable
    {
        public Fixture(bool serverTrustsBroker = true, int maxRoundTrips = 10)
        {
            byte[] secret = RandomNumberGenerator.GetBytes(32);
            ServerSecret = ObfuscationSecret.FromBytes(secret);
            Entry = SignedServerEntry.Sign(
                new ServerEntry
                {
                    Tag = "t1",
                    IpAddress = "192.0.2.10",
                    SessionPublicKey = ServerKey.PublicKey.Ed25519.ToArray(),
                    ObfuscationSecret = secret,
                    Capabilities = [new InproxyCapability("INPROXY-WEBRTC-OSSH", 0, 9443)],
                },
                NetworkSeed);
            Service = new BrokerService(new BrokerServiceOptions
            {
                CommonCompartments = new CommonCompartments([Common]),
                Destinations = new DestinationCheck(SignedServerEntry.PublicKeyOf(NetworkSeed), tag => tag == "t1"),
                Geo = new BrokerServiceTests.NoGeo(),
                AllowBogonCandidates = true,
                ClientOfferTimeout = TimeSpan.FromSeconds(10),
                ProxyAnnounceTimeout = TimeSpan.FromSeconds(20),
                Matcher = new() { AllowCommonAsnMatching = true },
                Reports = new ServerReportRelayOptions { PrivateKey = BrokerKey, MaxRelayRoundTrips = maxRoundTrips },
            });
            Trusted = serverTrustsBroker ? BrokerKey.PublicKey : SessionPrivateKey.Generate().PublicKey;
            Server = NewServer();
        }

        public SessionPrivateKey BrokerKey { get; } = SessionPrivateKey.Generate();

        public SessionPrivateKey ServerKey { get; } = SessionPrivateKey.Generate();

        public ObfuscationSecret ServerSecret { get; }

        public SessionPublicKey Trusted { get; }

        public byte[] Entry { get; }

        public BrokerService Service { get; }

        public ServerBrokerSessions Server { get; private set; }

        /// <summary>Same key and secret, no sessions: a restarted tunnel server.</summary>
        public void RestartServer()
        {
            Server.Dispose();
            Server = NewServer();
        }

        public ClientOfferRequest Offer() => new()
        {
            Metrics = new PeerMetrics { ProtocolVersion = 1, NatType = NatType.Mobile, PortMappingTypes = [1] },
            CommonCompartmentIds = [Common],
            ClientOfferSdp = "v=0\r\na=candidate:1 1 udp 1 127.0.0.1 5000 typ host\r\n",
            ClientRootObfuscationSecret = new byte[32],
            PackedDestinationServerEntry = Entry,
            DestinationAddress = "192.0.2.10:9443",
        };

        /// <summary>One proxy and one client matched through the service; returns the client's response and the proxy ID.</summary>
        public async Task<(ClientOfferResponse Response, Id32 ProxyId)> MatchAsync(CancellationToken ct, Id32? personal = null, string clientIp = "127.0.0.3")
        {
            Id32 proxy = Id32.NewRandom();
            var metrics = new PeerMetrics { ProtocolVersion = 1, MaxCommonClients = 3 };
            IReadOnlyList<Id32> personalIds = personal is { } p ? [p] : [];
            Task<ProxyAnnounceResponse> announce = Call<ProxyAnnounceRequest, ProxyAnnounceResponse>(proxy, "127.0.0.2", new ProxyAnnounceRequest { Metrics = metrics, PersonalCompartmentIds = personalIds }, ct);
            ClientOfferRequest request = personal is null ? Offer() : Offer() with { CommonCompartmentIds = [], PersonalCompartmentIds = personalIds };
            Task<ClientOfferResponse> offer = Call<ClientOfferRequest, ClientOfferResponse>(Id32.NewRandom(), clientIp, request, ct);
            ProxyAnnounceResponse matched = await announce;
            Assert.True(matched.IsMatch);
            var answer = new ProxyAnswerRequest
            {
                ConnectionId = matched.ConnectionId,
                ProxyAnswerSdp = "v=0\r\na=candidate:1 1 udp 1 127.0.0.1 6000 typ host\r\n",
                ProxyDtlsFingerprint = "chrome-131",
            };
            Assert.False((await Call<ProxyAnswerRequest, ProxyAnswerResponse>(proxy, "127.0.0.2", answer, ct)).NoAwaitingClient);
            ClientOfferResponse response = await offer;
            Assert.Equal(matched.ConnectionId, response.ConnectionId);
            return (response, proxy);
        }

        /// <summary>A first connection whose report establishes the broker's session with the server.</summary>
        public async Task EstablishAsync(CancellationToken ct)
        {
            (ClientOfferResponse first, _) = await MatchAsync(ct);
            Assert.NotNull((await RunRelayAsync(first, first.ConnectionId, ct)).Step.Report);
        }

        public Task<ClientRelayedPacketResponse> RelayAsync(Id32 connectionId, byte[] packetFromServer, CancellationToken ct) =>
            Call<ClientRelayedPacketRequest, ClientRelayedPacketResponse>(Id32.NewRandom(), "127.0.0.3", new ClientRelayedPacketRequest { ConnectionId = connectionId, PacketFromServer = packetFromServer }, ct);

        /// <summary>Plays the honest client: carries packets until the server has a result or the broker says done.</summary>
        public async Task<(BrokerRelayStep Step, int RoundTrips)> RunRelayAsync(ClientOfferResponse offer, Id32 expected, CancellationToken ct, bool restartEachStep = false)
        {
            Assert.False(offer.RelayPacketToServer.IsEmpty);
            ReadOnlyMemory<byte> packet = offer.RelayPacketToServer;
            int roundTrips = 0;
            while (true)
            {
                if (restartEachStep)
                {
                    RestartServer();
                }

                BrokerRelayStep step = await Server.HandlePacketAsync(packet, expected, ct);
                if (step.PacketToBroker is null)
                {
                    return (step, roundTrips);
                }

                ClientRelayedPacketResponse r = await RelayAsync(offer.ConnectionId, step.PacketToBroker, ct);
                if (r.PacketToServer.IsEmpty)
                {
                    return (default, roundTrips);
                }

                roundTrips++;
                packet = r.PacketToServer;
            }
        }

        public async Task<TResponse> Call<TRequest, TResponse>(Id32 peer, string ip, TRequest request, CancellationToken ct)
            where TRequest : ICborRecord<TRequest>
            where TResponse : ICborRecord<TResponse>
        {
            byte[] response = await Service.HandleAsync(peer, IPAddress.Parse(ip), CborRecords.Marshal(request), ct);
            Assert.True(CborRecords.TryUnmarshal(response, out TResponse? value));
            return value!;
        }

        public void Dispose()
        {
            Server.Dispose();
            Service.Reports.Dispose();
        }

        private ServerBrokerSessions NewServer() => new(new ServerBrokerSessionsOptions
        {
            PrivateKey = ServerKey,
            ObfuscationSecret = ServerSecret,
            Brokers = [Trusted],
            ReplayHistoryCapacity = 10_000,
        });
    }

    [Fact]
    public async Task Fresh_session_handshakes_through_one_relayed_packet_and_the_report_carries_what_the_broker_saw()
    {
        using var f = new Fixture();
        CancellationToken ct = BrokerServiceTests.Timeout();
        (ClientOfferResponse offer, Id32 proxy) = await f.MatchAsync(ct);

        (BrokerRelayStep step, int roundTrips) = await f.RunRelayAsync(offer, offer.ConnectionId, ct);

        Assert.Equal(1, roundTrips);
        VerifiedBrokerReport verified = Assert.IsType<VerifiedBrokerReport>(step.Report);
        Assert.Equal(f.BrokerKey.Id, verified.BrokerId);
        BrokerServerReport report = verified.Report;
        Assert.Equal(offer.ConnectionId, report.ConnectionId);
        Assert.Equal(proxy, report.ProxyId);
        Assert.True(report.MatchedCommonCompartments);
        Assert.False(report.MatchedPersonalCompartments);
        Assert.Equal("127.0.0.3", report.ClientIp);
        Assert.Equal("127.0.0.2", report.ProxyIp);
        Assert.Equal(NatType.Mobile, report.ClientNatType);
        Assert.Equal([1], report.ClientPortMappingTypes);
        Assert.Equal(3, report.ProxyMetrics?.MaxCommonClients);
        Assert.Equal("chrome-131", report.ProxyDtlsFingerprint);
        Assert.Equal(1, f.Server.SessionCount);
    }

    [Fact]
    public async Task Established_session_sends_the_report_in_the_offer_response_with_no_extra_round_trip()
    {
        using var f = new Fixture();
        CancellationToken ct = BrokerServiceTests.Timeout();
        await f.EstablishAsync(ct);

        (ClientOfferResponse second, _) = await f.MatchAsync(ct);
        (BrokerRelayStep step, int roundTrips) = await f.RunRelayAsync(second, second.ConnectionId, ct);

        Assert.Equal(0, roundTrips);
        Assert.Equal(second.ConnectionId, step.Report?.Report.ConnectionId);
        Assert.Equal(1, f.Server.SessionCount);
    }

    /// <summary>
    /// A client holding the last handshake packet can be matched again at once; that match must find the session
    /// (else it handshakes afresh and its offer response carries no report). Repeated because the old order (packet
    /// handed over first, session recorded after) failed only when the client's continuation, on another thread, ran
    /// before the broker's thread recorded the session (here: about every second run of this test alone).
    /// </summary>
    [Fact]
    public async Task The_session_is_established_before_the_client_holds_the_last_handshake_packet()
    {
        CancellationToken ct = BrokerServiceTests.Timeout();
        for (int i = 0; i < 30; i++)
        {
            using var f = new Fixture();
            (ClientOfferResponse offer, _) = await f.MatchAsync(ct);
            BrokerRelayStep answer = await f.Server.HandlePacketAsync(offer.RelayPacketToServer, offer.ConnectionId, ct);
            Assert.NotNull(answer.PacketToBroker);
            Assert.False(f.Service.Reports.HasSession(ServerEntryOf(f)));

            ClientRelayedPacketResponse last = await f.RelayAsync(offer.ConnectionId, answer.PacketToBroker!, ct);

            Assert.True(f.Service.Reports.HasSession(ServerEntryOf(f)), $"no session once the client held message 3 (connection {i})");
            Assert.NotNull((await f.Server.HandlePacketAsync(last.PacketToServer, offer.ConnectionId, ct)).Report);
        }
    }

    [Fact]
    public async Task Restarted_server_resets_through_the_relay_and_the_broker_handshakes_again()
    {
        using var f = new Fixture();
        CancellationToken ct = BrokerServiceTests.Timeout();
        await f.EstablishAsync(ct);
        f.RestartServer();

        (ClientOfferResponse second, _) = await f.MatchAsync(ct);
        (BrokerRelayStep step, int roundTrips) = await f.RunRelayAsync(second, second.ConnectionId, ct);

        Assert.Equal(2, roundTrips); // reset → message 1, message 2 → message 3 with the report
        Assert.Equal(second.ConnectionId, step.Report?.Report.ConnectionId);

        // The new session is the broker's now: the next report needs no relay.
        (ClientOfferResponse third, _) = await f.MatchAsync(ct);
        Assert.Equal(0, (await f.RunRelayAsync(third, third.ConnectionId, ct)).RoundTrips);
    }

    [Fact]
    public async Task Personal_match_is_reported_as_personal()
    {
        using var f = new Fixture();
        CancellationToken ct = BrokerServiceTests.Timeout();
        (ClientOfferResponse offer, _) = await f.MatchAsync(ct, personal: Id32.NewRandom());

        BrokerServerReport? report = (await f.RunRelayAsync(offer, offer.ConnectionId, ct)).Step.Report?.Report;

        Assert.True(report?.MatchedPersonalCompartments);
        Assert.False(report?.MatchedCommonCompartments);
    }

    [Fact]
    public async Task Concurrent_fresh_handshakes_to_one_server_each_deliver_their_report()
    {
        using var f = new Fixture();
        CancellationToken ct = BrokerServiceTests.Timeout();
        (ClientOfferResponse Response, Id32 ProxyId)[] offers = await Task.WhenAll(
            Enumerable.Range(0, 4).Select(i => f.MatchAsync(ct, clientIp: $"127.0.1.{i + 1}")));
        Assert.False(f.Service.Reports.HasSession(ServerEntryOf(f))); // four handshakes in flight, none waits for another

        (BrokerRelayStep Step, int RoundTrips)[] results = await Task.WhenAll(offers.Select(o => f.RunRelayAsync(o.Response, o.Response.ConnectionId, ct)));

        for (int i = 0; i < offers.Length; i++)
        {
            Assert.Equal(offers[i].Response.ConnectionId, results[i].Step.Report?.Report.ConnectionId);
            Assert.Equal($"127.0.1.{i + 1}", results[i].Step.Report?.Report.ClientIp);
            Assert.Equal(1, results[i].RoundTrips);
        }

        Assert.True(f.Service.Reports.HasSession(ServerEntryOf(f)));
    }

    [Fact]
    public async Task Random_packets_never_throw_and_never_verify()
    {
        using var f = new Fixture();
        CancellationToken ct = BrokerServiceTests.Timeout();
        var random = new Random(11);
        for (int i = 0; i < 500; i++)
        {
            byte[] packet = new byte[random.Next(0, 400)];
            random.NextBytes(packet);
            Assert.True((await f.Server.HandlePacketAsync(packet, Id32.NewRandom(), ct)).Failed);
        }
    }

    [Fact]
    public async Task Report_for_another_connection_is_rejected()
    {
        using var f = new Fixture();
        CancellationToken ct = BrokerServiceTests.Timeout();
        (ClientOfferResponse first, _) = await f.MatchAsync(ct);
        (BrokerRelayStep fresh, _) = await f.RunRelayAsync(first, Id32.NewRandom(), ct);
        Assert.True(fresh.Failed);

        Assert.True(f.Service.Reports.HasSession(ServerEntryOf(f))); // established before the client had message 3
        (ClientOfferResponse second, _) = await f.MatchAsync(ct);
        (ClientOfferResponse third, _) = await f.MatchAsync(ct);
        Assert.True((await f.Server.HandlePacketAsync(second.RelayPacketToServer, third.ConnectionId, ct)).Failed); // a client replaying another's report
        Assert.True((await f.Server.HandlePacketAsync(third.RelayPacketToServer, default, ct)).Failed);
    }

    [Fact]
    public async Task Removing_a_broker_from_the_allow_list_drops_its_session()
    {
        using var f = new Fixture();
        CancellationToken ct = BrokerServiceTests.Timeout();
        await f.EstablishAsync(ct);
        Assert.Equal(1, f.Server.SessionCount);

        f.Server.SetBrokers([SessionPrivateKey.Generate().PublicKey]);

        Assert.Equal(0, f.Server.SessionCount);
        (ClientOfferResponse offer, _) = await f.MatchAsync(ct);
        Assert.True((await f.RunRelayAsync(offer, offer.ConnectionId, ct)).Step.Failed);
    }

    [Fact]
    public async Task Report_from_a_broker_the_server_does_not_list_is_rejected()
    {
        using var f = new Fixture(serverTrustsBroker: false);
        CancellationToken ct = BrokerServiceTests.Timeout();
        (ClientOfferResponse offer, _) = await f.MatchAsync(ct);

        (BrokerRelayStep step, int roundTrips) = await f.RunRelayAsync(offer, offer.ConnectionId, ct);

        Assert.Equal(1, roundTrips); // XK hides the initiator until message 3
        Assert.True(step.Failed);
        Assert.Equal(0, f.Server.SessionCount);
    }

    [Fact]
    public async Task Garbage_and_replayed_packets_are_rejected_and_do_not_kill_the_brokers_session()
    {
        using var f = new Fixture();
        CancellationToken ct = BrokerServiceTests.Timeout();
        await f.EstablishAsync(ct);

        (ClientOfferResponse second, _) = await f.MatchAsync(ct);
        var random = new Random(7);
        byte[] garbage = new byte[second.RelayPacketToServer.Length];
        random.NextBytes(garbage);
        Assert.True((await f.Server.HandlePacketAsync(garbage, second.ConnectionId, ct)).Failed);
        byte[] flipped = second.RelayPacketToServer.ToArray();
        flipped[^1] ^= 1;
        Assert.True((await f.Server.HandlePacketAsync(flipped, second.ConnectionId, ct)).Failed);
        Assert.NotNull((await f.Server.HandlePacketAsync(second.RelayPacketToServer, second.ConnectionId, ct)).Report);
        Assert.True((await f.Server.HandlePacketAsync(second.RelayPacketToServer, second.ConnectionId, ct)).Failed); // replay

        // A lying client relays garbage "from the server", then the broker's own first packet: neither is a reset.
        Assert.True((await f.RelayAsync(second.ConnectionId, garbage, ct)).PacketToServer.IsEmpty);
        Assert.True((await f.RelayAsync(second.ConnectionId, second.RelayPacketToServer.ToArray(), ct)).PacketToServer.IsEmpty);
        Assert.True((await f.RelayAsync(Id32.NewRandom(), garbage, ct)).PacketToServer.IsEmpty); // unknown connection

        (ClientOfferResponse third, _) = await f.MatchAsync(ct);
        (BrokerRelayStep step, int roundTrips) = await f.RunRelayAsync(third, third.ConnectionId, ct);
        Assert.Equal(0, roundTrips);
        Assert.NotNull(step.Report);
    }

    [Fact]
    public async Task Garbage_in_place_of_the_servers_handshake_answer_ends_the_relay()
    {
        using var f = new Fixture();
        CancellationToken ct = BrokerServiceTests.Timeout();
        (ClientOfferResponse offer, _) = await f.MatchAsync(ct);
        byte[] garbage = new byte[120];
        new Random(3).NextBytes(garbage);

        Assert.True((await f.RelayAsync(offer.ConnectionId, garbage, ct)).PacketToServer.IsEmpty);
        Assert.False(f.Service.Reports.HasSession(ServerEntryOf(f)));
    }

    [Fact]
    public async Task Relay_is_cut_off_after_ten_round_trips()
    {
        using var f = new Fixture();
        CancellationToken ct = BrokerServiceTests.Timeout();
        (ClientOfferResponse offer, _) = await f.MatchAsync(ct);

        // A server that restarts before every packet never completes: handshake, reset, handshake, reset…
        (BrokerRelayStep step, int roundTrips) = await f.RunRelayAsync(offer, offer.ConnectionId, ct, restartEachStep: true);

        Assert.Equal(10, roundTrips);
        Assert.True(step.Failed);
    }

    [Fact]
    public async Task Server_stops_relaying_after_ten_round_trips_even_if_the_client_keeps_answering()
    {
        using var f = new Fixture();
        CancellationToken ct = BrokerServiceTests.Timeout();
        (ClientOfferResponse offer, _) = await f.MatchAsync(ct);
        var capture = new CapturingRoundTripper();
        using var forger = new InitiatorSessions(new InitiatorSessionsOptions { WaitToShareSession = false });
        var server = new ResponderIdentity(f.ServerKey.PublicKey, f.ServerSecret);
        int relayed = 0;

        // A lying client answers every packet with a fresh handshake message 1 of its own, which the server always answers.
        VerifiedBrokerReport? report = await f.Server.VerifyAsync(offer.RelayPacketToServer, offer.ConnectionId, async (toBroker, token) =>
        {
            relayed++;
            await Assert.ThrowsAsync<SessionException>(async () => await forger.RoundTripAsync(capture, server, new byte[] { 1 }, TimeSpan.Zero, TimeSpan.FromSeconds(5), token));
            return capture.Last!;
        }, ct);

        Assert.Null(report);
        Assert.Equal(ServerBrokerSessions.MaxRelayRoundTrips, relayed);
    }

    /// <summary>Keeps the packet it is given and fails, as a network that ate the reply.</summary>
    private sealed class CapturingRoundTripper : IRoundTripper
    {
        public byte[]? Last { get; private set; }

        public ValueTask<ReadOnlyMemory<byte>> RoundTripAsync(ReadOnlyMemory<byte> packet, TimeSpan delay, TimeSpan timeout, CancellationToken cancellationToken)
        {
            Last = packet.ToArray();
            throw new IOException("captured");
        }
    }

    [Fact]
    public async Task Offer_to_an_entry_with_unusable_keys_gets_no_relay_packet_but_still_matches()
    {
        BrokerService service = BrokerServiceTests.NewService(); // its entry has all-zero keys
        CancellationToken ct = BrokerServiceTests.Timeout();
        Id32 proxy = Id32.NewRandom();
        Task<byte[]> announce = service.HandleAsync(proxy, IPAddress.Parse("127.0.0.2"), CborRecords.Marshal(new ProxyAnnounceRequest { Metrics = BrokerServiceTests.Metrics() }), ct).AsTask();
        Task<byte[]> offer = service.HandleAsync(Id32.NewRandom(), IPAddress.Parse("127.0.0.3"), CborRecords.Marshal(BrokerServiceTests.Offer()), ct).AsTask();
        Assert.True(CborRecords.TryUnmarshal(await announce, out ProxyAnnounceResponse? matched));
        await service.HandleAsync(proxy, IPAddress.Parse("127.0.0.2"), CborRecords.Marshal(new ProxyAnswerRequest { ConnectionId = matched!.ConnectionId, ProxyAnswerSdp = "v=0\r\na=candidate:1 1 udp 1 127.0.0.1 6000 typ host\r\n" }), ct);
        Assert.True(CborRecords.TryUnmarshal(await offer, out ClientOfferResponse? response));
        Assert.Equal(matched.ConnectionId, response!.ConnectionId);
        Assert.True(response.RelayPacketToServer.IsEmpty);
    }

    /// <summary>Over real HTTP/2 and Noise sessions: proxy announce/answer and client offer/relay as the roles send them.</summary>
    [Fact]
    public async Task Report_relay_over_http2_with_real_announce_offer_and_answer()
    {
        using var f = new Fixture();
        CancellationToken ct = BrokerServiceTests.Timeout();
        ObfuscationSecret brokerSecret = ObfuscationSecret.Generate();
        using var responder = new ResponderSessions(new ResponderSessionsOptions { PrivateKey = f.BrokerKey, ObfuscationSecret = brokerSecret, ReplayHistoryCapacity = 10_000 });
        await using BrokerHttpHost host = await BrokerHttpHost.StartAsync(new BrokerHttpHostOptions(), f.Service, responder, ct);
        using var transport = new HttpBrokerRoundTripper(host.Address);
        var broker = new ResponderIdentity(f.BrokerKey.PublicKey, brokerSecret);
        using var proxySessions = new InitiatorSessions(new InitiatorSessionsOptions { PrivateKey = SessionPrivateKey.Generate() });
        using var clientSessions = new InitiatorSessions(new InitiatorSessionsOptions { WaitToShareSession = false });

        async Task<TResponse> Call<TRequest, TResponse>(InitiatorSessions sessions, TRequest request)
            where TRequest : ICborRecord<TRequest>
            where TResponse : ICborRecord<TResponse>
        {
            byte[] response = await sessions.RoundTripAsync(transport, broker, CborRecords.Marshal(request), TimeSpan.Zero, TimeSpan.FromSeconds(30), ct);
            Assert.True(CborRecords.TryUnmarshal(response, out TResponse? value));
            return value!;
        }

        for (int connection = 0; connection < 2; connection++)
        {
            Task<ProxyAnnounceResponse> announce = Call<ProxyAnnounceRequest, ProxyAnnounceResponse>(proxySessions, new ProxyAnnounceRequest { Metrics = new PeerMetrics { ProtocolVersion = 1 } });
            Task<ClientOfferResponse> offerTask = Call<ClientOfferRequest, ClientOfferResponse>(clientSessions, f.Offer());
            ProxyAnnounceResponse matched = await announce;
            Assert.True(matched.IsMatch);
            await Call<ProxyAnswerRequest, ProxyAnswerResponse>(proxySessions, new ProxyAnswerRequest
            {
                ConnectionId = matched.ConnectionId,
                ProxyAnswerSdp = "v=0\r\na=candidate:1 1 udp 1 127.0.0.1 6000 typ host\r\n",
                ProxyDtlsFingerprint = "firefox-133",
            });
            ClientOfferResponse offer = await offerTask;

            int roundTrips = 0;
            VerifiedBrokerReport? report = await f.Server.VerifyAsync(offer.RelayPacketToServer, offer.ConnectionId, async (toBroker, token) =>
            {
                roundTrips++;
                ClientRelayedPacketResponse r = await Call<ClientRelayedPacketRequest, ClientRelayedPacketResponse>(
                    clientSessions, new ClientRelayedPacketRequest { ConnectionId = offer.ConnectionId, PacketFromServer = toBroker });
                return r.PacketToServer.ToArray();
            }, ct);

            Assert.Equal(connection == 0 ? 1 : 0, roundTrips);
            Assert.Equal(offer.ConnectionId, report?.Report.ConnectionId);
            Assert.Equal("127.0.0.1", report?.Report.ClientIp);
            Assert.Equal("firefox-133", report?.Report.ProxyDtlsFingerprint);
            Assert.Equal(proxySessions.Id.ToArray(), report?.Report.ProxyId.ToArray());
        }
    }

    private static ServerEntry ServerEntryOf(Fixture f)
    {
        Assert.True(SignedServerEntry.TryVerify(f.Entry, SignedServerEntry.PublicKeyOf(NetworkSeed), out ServerEntry? entry));
        return entry!;
    }
}
