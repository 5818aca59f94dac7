using Inroad.Brokers;
using Inroad.Client.Dial;
using Inroad.Nat.PortMapping;
using Inroad.Network;
using Inroad.Protocol;
using Inroad.Tests.Network;
using Inroad.WebRtc.DataChannels;

namespace Inroad.Tests.Client.Dial;

/// <summary>
/// Dials against real brokers on loopback with a minimal proxy that echoes. Run alone: they move real
/// WebRTC traffic, and the broker load tests next door time their long polls.
/// </summary>
[Collection(nameof(InproxyDialerTests))]
[CollectionDefinition(nameof(InproxyDialerTests), DisableParallelization = true)]
public sealed class InproxyDialerTests
{
    private static InproxyDialerOptions Options(BrokerClient brokers) => new()
    {
        Brokers = brokers,
        WebRtc = DialBroker.Loopback(),
        CommonCompartmentIds = [DialBroker.Common],
        TrafficShaping = InproxyShaping.Default with { MinPaddedMessages = 2, MinPaddingSize = 1 },
        TrafficShapingProbability = 1,
        DialTimeout = TimeSpan.FromSeconds(40),
    };

    private static async Task EchoAsync(Stream stream, int length, CancellationToken ct)
    {
        byte[] sent = new byte[length];
        new Random(length).NextBytes(sent);
        byte[] got = new byte[length];
        await Task.WhenAll(stream.WriteAsync(sent, ct).AsTask(), stream.ReadExactlyAsync(got, ct).AsTask());
        Assert.Equal(sent, got);
    }

    [Fact]
    public async Task Dial_returns_a_shaped_connection_that_echoes_one_MiB_byte_for_byte()
    {
        CancellationToken ct = DialBroker.Timeout();
        await using DialBroker broker = await DialBroker.StartAsync(TimeSpan.FromSeconds(8), ct);
        await using TestProxy proxy = TestProxy.Start(broker, ct);
        using var brokers = new BrokerClient(new BrokerClientOptions { Brokers = [broker.Spec] });

        await using InproxyConnection connection = await new InproxyDialer(Options(brokers)).DialAsync(DialBroker.Destination, ct);

        Assert.True(connection.IsShaped);
        Assert.False(connection.ConnectionId.IsZero);
        Assert.Same(broker.Spec, connection.Broker);
        Assert.Equal(32, connection.RootObfuscationSecret.Length);
        await EchoAsync(connection.Stream, 1 << 20, ct);
        var shaped = Assert.IsType<ShapedDataChannelStream>(connection.Stream);
        Assert.InRange(shaped.PaddedMessagesSent, 2, 10);
        Assert.InRange(shaped.PaddedMessagesReceived, 2, 10); // the proxy shapes its side too
        DataChannelShapingCounters counters = Assert.NotNull(connection.ShapingCounters);
        Assert.Equal(shaped.PaddedMessagesSent, counters.PaddedMessagesSent);
        Assert.Equal(shaped.DecoyMessagesReceived, counters.DecoyMessagesReceived);
        Assert.NotNull(connection.Peer.DtlsProfile);

        // No tunnel server answers here, so a packet that is not from it ends the relay at once (empty).
        Assert.Empty(await connection.RelayToBrokerAsync(new byte[] { 1, 2, 3 }, ct));
    }

    [Fact]
    public async Task Unshaped_dial_gives_the_plain_channel_stream()
    {
        CancellationToken ct = DialBroker.Timeout();
        await using DialBroker broker = await DialBroker.StartAsync(TimeSpan.FromSeconds(8), ct);
        await using TestProxy proxy = TestProxy.Start(broker, ct);
        using var brokers = new BrokerClient(new BrokerClientOptions { Brokers = [broker.Spec] });
        InproxyDialerOptions options = Options(brokers);
        options.TrafficShapingProbability = 0;

        await using InproxyConnection connection = await new InproxyDialer(options).DialAsync(DialBroker.Destination, ct);

        Assert.False(connection.IsShaped);
        Assert.IsNotType<ShapedDataChannelStream>(connection.Stream);
        Assert.Null(connection.ShapingCounters);
        await EchoAsync(connection.Stream, 64 * 1024, ct);
    }

    [Fact]
    public async Task A_dial_offers_a_mapped_port_as_a_host_candidate_and_the_connection_releases_it()
    {
        CancellationToken ct = DialBroker.Timeout();
        await using DialBroker broker = await DialBroker.StartAsync(TimeSpan.FromSeconds(8), ct);
        await using TestProxy proxy = TestProxy.Start(broker, ct);
        using var brokers = new BrokerClient(new BrokerClientOptions { Brokers = [broker.Spec] });
        var mapper = new FakePortMapper { Protocols = [PortMappingProtocol.NatPmp] };
        await using var nat = new HostNat(new HostNatOptions { Mapper = mapper, Discovery = new NatDiscoverySettings { Enabled = false }, WatchNetworkChanges = false });
        nat.Start();
        await nat.WaitForFirstProbeAsync(ct);
        InproxyDialerOptions options = Options(brokers);
        options.Nat = nat;

        await using (InproxyConnection connection = await new InproxyDialer(options).DialAsync(DialBroker.Destination, ct))
        {
            MappedUdpPort mapped = Assert.IsType<MappedUdpPort>(connection.PortMapping);
            Assert.Equal(PortMappingProtocol.NatPmp, mapped.Protocol);
            string offer = Assert.Single(proxy.Offers);
            Assert.Contains($" 127.0.0.2 {mapped.LocalPort} typ host", offer, StringComparison.Ordinal);
            Assert.Contains($" 127.0.0.1 {mapped.LocalPort} typ host", offer, StringComparison.Ordinal); // bound to the mapped port
            Assert.Equal(1, mapper.Live);
            await EchoAsync(connection.Stream, 64 * 1024, ct);
        }

        Assert.Equal(0, mapper.Live);
    }

    [Fact]
    public async Task No_match_is_retried_until_a_proxy_arrives()
    {
        CancellationToken ct = DialBroker.Timeout();
        await using DialBroker broker = await DialBroker.StartAsync(TimeSpan.FromSeconds(2), ct);
        using var brokers = new BrokerClient(new BrokerClientOptions { Brokers = [broker.Spec] });
        Task<InproxyConnection> dialing = new InproxyDialer(Options(brokers)).DialAsync(DialBroker.Destination, ct);
        await Task.Delay(TimeSpan.FromSeconds(3), ct); // the first offer has had its NoMatch by now
        Assert.False(dialing.IsCompleted);
        await using TestProxy proxy = TestProxy.Start(broker, ct);

        await using InproxyConnection connection = await dialing;

        Assert.True(connection.Attempts >= 2, $"attempts {connection.Attempts}");
        Assert.True(connection.Timings.FailedAttempts >= TimeSpan.FromSeconds(1.5), $"{connection.Timings}"); // at least one 2 s NoMatch
        Assert.True(connection.Timings.Total >= connection.Timings.FailedAttempts + connection.Timings.BrokerOffer + connection.Timings.WebRtcConnection);
        await EchoAsync(connection.Stream, 4096, ct);
    }

    [Fact]
    public async Task Limited_aborts_at_once_without_retry()
    {
        CancellationToken ct = DialBroker.Timeout();
        await using DialBroker broker = await DialBroker.StartAsync(TimeSpan.FromSeconds(2), ct);
        using var brokers = new BrokerClient(new BrokerClientOptions { Brokers = [broker.Spec] });
        var notInproxy = DialBroker.Destination with { Address = "127.0.0.1:22" }; // not one of the entry's in-proxy listeners

        var e = await Assert.ThrowsAsync<InproxyDialException>(() => new InproxyDialer(Options(brokers)).DialAsync(notInproxy, ct));

        Assert.Equal(InproxyDialFailure.Limited, e.Failure);
        Assert.Equal(1, e.Attempts);
        Assert.False(e.IsTransient);
        Assert.Same(broker.Spec, brokers.Current); // Limited keeps the broker
    }

    [Fact]
    public async Task Personal_no_match_rotates_to_the_next_broker()
    {
        CancellationToken ct = DialBroker.Timeout();
        Id32 pairing = Id32.NewRandom();
        await using DialBroker idle = await DialBroker.StartAsync(TimeSpan.FromSeconds(1), ct);
        await using DialBroker busy = await DialBroker.StartAsync(TimeSpan.FromSeconds(8), ct);
        await using TestProxy proxy = TestProxy.Start(busy, ct, personal: pairing);
        using var brokers = new BrokerClient(new BrokerClientOptions { Brokers = [idle.Spec, busy.Spec] });
        InproxyDialerOptions options = Options(brokers);
        options.CommonCompartmentIds = [];
        options.PersonalCompartmentId = pairing; // personal ⇒ rotate on every NoMatch

        await using InproxyConnection connection = await new InproxyDialer(options).DialAsync(DialBroker.Destination, ct);

        Assert.Same(busy.Spec, connection.Broker);
        Assert.Equal(2, connection.Attempts);
        await EchoAsync(connection.Stream, 4096, ct);
        Assert.Equal(1, proxy.Matches);
    }

    [Fact]
    public async Task A_match_whose_peer_never_connects_is_retried_with_a_fresh_offer()
    {
        CancellationToken ct = DialBroker.Timeout();
        await using DialBroker broker = await DialBroker.StartAsync(TimeSpan.FromSeconds(8), ct);
        await using TestProxy proxy = TestProxy.Start(broker, ct, dropFirst: 1);
        using var brokers = new BrokerClient(new BrokerClientOptions { Brokers = [broker.Spec] });
        InproxyDialerOptions options = Options(brokers);
        options.DataChannelTimeout = TimeSpan.FromSeconds(3);

        await using InproxyConnection connection = await new InproxyDialer(options).DialAsync(DialBroker.Destination, ct);

        Assert.Equal(2, connection.Attempts);
        Assert.Equal(2, proxy.Matches);
        await EchoAsync(connection.Stream, 4096, ct);
    }

    [Fact]
    public async Task Without_any_proxy_the_dial_times_out()
    {
        CancellationToken ct = DialBroker.Timeout();
        await using DialBroker broker = await DialBroker.StartAsync(TimeSpan.FromSeconds(1), ct);
        using var brokers = new BrokerClient(new BrokerClientOptions { Brokers = [broker.Spec] });
        InproxyDialerOptions options = Options(brokers);
        options.DialTimeout = TimeSpan.FromSeconds(6); // offers end in NoMatch after 1 s each

        var e = await Assert.ThrowsAsync<InproxyDialException>(() => new InproxyDialer(options).DialAsync(DialBroker.Destination, ct));

        Assert.Equal(InproxyDialFailure.Timeout, e.Failure);
        Assert.True(e.Attempts >= 2, $"attempts {e.Attempts}");
        Assert.True(e.IsTransient);
    }

    [Fact]
    public async Task A_broker_that_does_not_answer_fails_the_dial_and_rotates()
    {
        CancellationToken ct = DialBroker.Timeout();
        // Port 1 is outside the ephemeral range and nothing listens there. (A stopped broker's port could meanwhile
        // be handed to another test's listener, which would answer.)
        using var deadKey = Sessions.Keys.SessionPrivateKey.Generate();
        var dead = new BrokerSpec(new Uri("http://127.0.0.1:1/inroad-broker"), new Sessions.ResponderIdentity(deadKey.PublicKey, Sessions.Obfuscation.ObfuscationSecret.Generate()));
        await using DialBroker other = await DialBroker.StartAsync(TimeSpan.FromSeconds(1), ct);
        using var brokers = new BrokerClient(new BrokerClientOptions { Brokers = [dead, other.Spec] });

        var e = await Assert.ThrowsAsync<InproxyDialException>(() => new InproxyDialer(Options(brokers)).DialAsync(DialBroker.Destination, ct));

        Assert.Equal(InproxyDialFailure.Failed, e.Failure);
        Assert.Same(other.Spec, brokers.Current);
    }

    [Fact]
    public void Shaping_choice_replays_from_the_secret_and_follows_the_probability()
    {
        var secrets = Enumerable.Range(0, 400).Select(i => Enumerable.Repeat((byte)i, 31).Append((byte)(i >> 8)).ToArray()).ToArray();
        int shaped = secrets.Count(s => InproxyDialer.ChooseShaping(InproxyShaping.Default, 0.5, s) is not null);
        Assert.InRange(shaped, 140, 260);
        Assert.All(secrets, s => Assert.Equal(
            InproxyDialer.ChooseShaping(InproxyShaping.Default, 0.5, s) is null,
            InproxyDialer.ChooseShaping(InproxyShaping.Default, 0.5, s) is null));
        Assert.Null(InproxyDialer.ChooseShaping(null, 1, secrets[0]));
        Assert.NotNull(InproxyDialer.ChooseShaping(InproxyShaping.Default, 1, secrets[0]));
    }

    [Fact]
    public void Candidate_types_are_read_from_the_offer()
    {
        const string sdp = "v=0\r\na=candidate:1 1 udp 2130706431 127.0.0.1 5000 typ host\r\na=candidate:2 1 udp 1694498815 203.0.113.5 6000 typ srflx raddr 0.0.0.0 rport 0\r\n";
        Assert.Equal([1, 3], InproxyDialer.CandidateTypes(sdp, hasPortMapping: false));
        Assert.Equal([1, 2, 3], InproxyDialer.CandidateTypes(sdp, hasPortMapping: true));
    }

    [Fact]
    public void Options_are_validated()
    {
        using var brokers = new BrokerClient(new BrokerClientOptions { Brokers = [new BrokerSpec(new Uri("http://127.0.0.1:1/"), new Sessions.ResponderIdentity(Sessions.Keys.SessionPrivateKey.Generate().PublicKey, Sessions.Obfuscation.ObfuscationSecret.Generate()))] });
        Assert.Throws<ArgumentNullException>(() => new InproxyDialer(new InproxyDialerOptions { CommonCompartmentIds = [DialBroker.Common] }));
        Assert.Throws<ArgumentException>(() => new InproxyDialer(new InproxyDialerOptions { Brokers = brokers }));
        InproxyDialerOptions badSecret = Options(brokers);
        badSecret.RootObfuscationSecret = new byte[31];
        Assert.Throws<ArgumentException>(() => new InproxyDialer(badSecret));
        InproxyDialerOptions badShaping = Options(brokers);
        badShaping.TrafficShaping = InproxyShaping.Default with { MaxDecoySize = 20_000 };
        Assert.Throws<ArgumentOutOfRangeException>(() => new InproxyDialer(badShaping));
    }
}
