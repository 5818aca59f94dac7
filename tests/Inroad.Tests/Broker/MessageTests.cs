using Inroad.Protocol;
using Inroad.Protocol.Messages;
using Inroad.Sessions.Records;

namespace Inroad.Tests.Broker;

public sealed class MessageTests
{
    private static readonly PeerMetrics Metrics = new()
    {
        Parameters = new ApiParameters { SponsorId = "ABCD", NetworkType = NetworkType.Mobile, FrontingProviderId = "cdn1" },
        ProtocolVersion = 2,
        NatType = new NatType(NatBehavior.EndpointIndependent, NatBehavior.AddressPortDependent),
        PortMappingTypes = [1, 3],
        MaxCommonClients = 8,
        ConnectedClients = 2,
        PeakUpstreamBytesPerSecond = 1_000_000_000_000,
    };

    [Fact]
    public void Proxy_announce_request_round_trips()
    {
        var request = new ProxyAnnounceRequest { PersonalCompartmentIds = [Id32.NewRandom()], Metrics = Metrics, CheckTactics = true };
        ProxyAnnounceRequest back = RoundTrip(request);
        Assert.Equal(request.PersonalCompartmentIds, back.PersonalCompartmentIds);
        Assert.Equal(Metrics with { PortMappingTypes = back.Metrics!.PortMappingTypes }, back.Metrics);
        Assert.Equal([1, 3], back.Metrics.PortMappingTypes);
        Assert.True(back.CheckTactics);
        Assert.Equal(NatTraversalClass.Unlimited, back.Metrics.EffectiveNatType.TraversalClass); // port mapping
    }

    [Fact]
    public void Announce_without_metrics_is_rejected()
    {
        byte[] bytes = CborRecords.Marshal(new ProxyAnnounceRequest());
        Assert.False(CborRecords.TryUnmarshal(bytes, out ProxyAnnounceRequest? _));
    }

    [Fact]
    public void Announce_with_two_personal_ids_is_rejected()
    {
        byte[] bytes = CborRecords.Marshal(new ProxyAnnounceRequest { Metrics = Metrics, PersonalCompartmentIds = [Id32.NewRandom(), Id32.NewRandom()] });
        Assert.False(CborRecords.TryUnmarshal(bytes, out ProxyAnnounceRequest? _));
    }

    [Fact]
    public void Offer_with_common_and_personal_ids_is_rejected()
    {
        byte[] bytes = CborRecords.Marshal(new ClientOfferRequest { Metrics = Metrics, CommonCompartmentIds = [Id32.NewRandom()], PersonalCompartmentIds = [Id32.NewRandom()] });
        Assert.False(CborRecords.TryUnmarshal(bytes, out ClientOfferRequest? _));
    }

    [Fact]
    public void Client_offer_request_and_response_round_trip()
    {
        var request = new ClientOfferRequest
        {
            Metrics = Metrics,
            CommonCompartmentIds = [Id32.NewRandom(), Id32.NewRandom()],
            ClientOfferSdp = "v=0\r\n",
            ClientRootObfuscationSecret = new byte[32],
            TrafficShaping = new TrafficShapingParameters { MaxPaddedMessages = 10, MaxPaddingSize = 1500, DecoyMessageProbability = 0.5 },
            PackedDestinationServerEntry = new byte[] { 1, 2, 3 },
            NetworkProtocol = 1,
            DestinationAddress = "192.0.2.1:443",
        };
        ClientOfferRequest back = RoundTrip(request);
        Assert.Equal(request.CommonCompartmentIds, back.CommonCompartmentIds);
        Assert.Equal("v=0\r\n", back.ClientOfferSdp);
        Assert.Equal(request.TrafficShaping, back.TrafficShaping);
        Assert.True(back.TrafficShaping!.IsSane);
        Assert.Equal([1, 2, 3], back.PackedDestinationServerEntry.ToArray());
        Assert.Equal("192.0.2.1:443", back.DestinationAddress);

        var response = new ClientOfferResponse { ConnectionId = Id32.NewRandom(), SelectedProtocolVersion = 1, ProxyAnswerSdp = "a", RelayPacketToServer = new byte[] { 9 } };
        ClientOfferResponse r = RoundTrip(response);
        Assert.Equal(response.ConnectionId, r.ConnectionId);
        Assert.Equal("a", r.ProxyAnswerSdp);
        Assert.Equal([9], r.RelayPacketToServer.ToArray());
    }

    [Fact]
    public void Zero_fields_are_omitted_and_an_empty_response_is_an_empty_map()
    {
        byte[] bytes = CborRecords.Marshal(new ProxyAnswerResponse());
        Assert.Equal(new byte[] { 1, (byte)RecordType.ProxyAnswerResponse, 1, 0xA0 }, bytes);
        byte[] noMatch = CborRecords.Marshal(new ClientOfferResponse { NoMatch = true });
        Assert.Equal(new byte[] { 1, (byte)RecordType.ClientOfferResponse, 3, 0xA1, 0x02, 0xF5 }, noMatch);
    }

    [Fact]
    public void Other_messages_round_trip()
    {
        var announce = new ProxyAnnounceResponse { ConnectionId = Id32.NewRandom(), ClientOfferSdp = "o", SelectedProtocolVersion = 1, DestinationAddress = "h:1", ClientRegion = "IR" };
        Assert.Equal(announce.ConnectionId, RoundTrip(announce).ConnectionId);
        Assert.True(RoundTrip(announce).IsMatch);
        Assert.True(RoundTrip(new ProxyAnnounceResponse { MustUpgrade = true, NoMatch = true }).MustUpgrade);

        var answer = new ProxyAnswerRequest { ConnectionId = Id32.NewRandom(), ProxyAnswerSdp = "s", AnswerError = "e" };
        Assert.Equal(answer with { IceCandidateTypes = RoundTrip(answer).IceCandidateTypes }, RoundTrip(answer));
        Assert.True(RoundTrip(new ProxyAnswerResponse { NoAwaitingClient = true }).NoAwaitingClient);

        var relay = new ClientRelayedPacketRequest { ConnectionId = Id32.NewRandom(), PacketFromServer = new byte[] { 4 } };
        Assert.Equal([4], RoundTrip(relay).PacketFromServer.ToArray());
        Assert.Equal([5], RoundTrip(new ClientRelayedPacketResponse { PacketToServer = new byte[] { 5 } }).PacketToServer.ToArray());

        var report = new BrokerServerReport { ProxyId = Id32.NewRandom(), ConnectionId = Id32.NewRandom(), MatchedCommonCompartments = true, ClientIp = "192.0.2.1", ProxyIp = "198.51.100.2", ProxyMetrics = Metrics };
        BrokerServerReport r = RoundTrip(report);
        Assert.Equal(report.ProxyId, r.ProxyId);
        Assert.Equal("192.0.2.1", r.ClientIp);
        Assert.Equal(Metrics.MaxCommonClients, r.ProxyMetrics!.MaxCommonClients);
    }

    [Fact]
    public void Traffic_shaping_sanity_limits()
    {
        Assert.False(new TrafficShapingParameters { MaxPaddedMessages = 101 }.IsSane);
        Assert.False(new TrafficShapingParameters { MinPaddingSize = 2, MaxPaddingSize = 1 }.IsSane);
        Assert.False(new TrafficShapingParameters { DecoyMessageProbability = 1.5 }.IsSane);
        Assert.True(new TrafficShapingParameters().IsSane);
    }

    [Fact]
    public void Garbage_and_mutated_records_never_throw()
    {
        var random = new Random(7);
        byte[] valid = CborRecords.Marshal(new ClientOfferRequest { Metrics = Metrics, CommonCompartmentIds = [Id32.NewRandom()], ClientOfferSdp = "x" });
        int accepted = 0;
        for (int i = 0; i < 20_000; i++)
        {
            byte[] input = (byte[])valid.Clone();
            int flips = random.Next(1, 4);
            for (int f = 0; f < flips; f++)
            {
                input[random.Next(input.Length)] = (byte)random.Next(256);
            }

            if (i % 4 == 0)
            {
                input = input[..random.Next(input.Length)];
            }

            accepted += CborRecords.TryUnmarshal(input, out ClientOfferRequest? _) ? 1 : 0;
            _ = CborRecords.TryUnmarshal(input, out ProxyAnnounceRequest? _);
            _ = CborRecords.TryUnmarshal(input, out BrokerServerReport? _);
        }

        Assert.InRange(accepted, 1, 19_999); // some mutations stay valid (e.g. in the SDP text), most do not
    }

    private static T RoundTrip<T>(T value)
        where T : ICborRecord<T>
    {
        byte[] bytes = CborRecords.Marshal(value);
        Assert.True(CborRecords.TryUnmarshal(bytes, out T? back));
        Assert.Equal(bytes, CborRecords.Marshal(back!)); // canonical: re-encoding is byte-identical
        return back!;
    }
}
