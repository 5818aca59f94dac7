using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Inroad.Client.Tunnel;
using Inroad.Protocol;
using Inroad.Protocol.Messages;
using Inroad.Server;
using Inroad.Server.BrokerReports;
using Inroad.Server.Quality;
using Inroad.Sessions.Keys;
using Id32 = Inroad.Protocol.Id32;
using Inroad.Sessions.Obfuscation;
using Inroad.Tests.Broker;
using Inroad.Tests.Tunnel;
using Inroad.Tunnel;

namespace Inroad.Tests.Server;

/// <summary>
/// The in-proxy listener and the client tunnel over real loopback TCP (standing in for the path through a proxy),
/// with a scripted broker relay: no stream before a verified report, relays carried through the client, refusals.
/// </summary>
public sealed class InproxyTunnelServerTests
{
    /// <summary>Scripted broker side: packet "A" → report; "H1" → asks the client to relay "H2", whose answer "H3" → report.</summary>
    private sealed class ScriptedRelay(Id32 reportedConnection, bool personal = false) : IBrokerReportRelay
    {
        public List<string> Seen { get; } = [];

        public ValueTask<BrokerRelayStep> HandlePacketAsync(ReadOnlyMemory<byte> packet, Id32 expectedConnectionId, CancellationToken cancellationToken)
        {
            string p = System.Text.Encoding.ASCII.GetString(packet.Span);
            Seen.Add(p);
            BrokerRelayStep step = p switch
            {
                "A" or "H3" when expectedConnectionId == reportedConnection => new(null, Report(reportedConnection, personal)),
                "H1" => new("H2"u8.ToArray(), null),
                "LOOP" => new("LOOP"u8.ToArray(), null),
                _ => default,
            };
            return ValueTask.FromResult(step);
        }
    }

    private sealed class TcpTransport(NetworkStream stream, Id32 connectionId, string firstPacket) : IInproxyTransport
    {
        public Stream Stream => stream;

        public Id32 ConnectionId => connectionId;

        public ReadOnlyMemory<byte> RelayPacketToServer { get; } = System.Text.Encoding.ASCII.GetBytes(firstPacket);

        public Task Completion => Task.Delay(Timeout.Infinite);

        public Task<byte[]> RelayToBrokerAsync(ReadOnlyMemory<byte> packetFromServer, CancellationToken cancellationToken) =>
            Task.FromResult(System.Text.Encoding.ASCII.GetString(packetFromServer.Span) switch
            {
                "H2" => "H3"u8.ToArray(),
                "LOOP" => "LOOP"u8.ToArray(),
                _ => Array.Empty<byte>(),
            });

        public ValueTask DisposeAsync() => stream.DisposeAsync();
    }

    private static VerifiedBrokerReport Report(Id32 connection, bool personal = false) => new(
        SessionPrivateKey.Generate().Id,
        new BrokerServerReport { ConnectionId = connection, ProxyId = Id32.NewRandom(), ClientIp = "203.0.113.7", ProxyIp = "127.0.0.1", ProxyDtlsFingerprint = "Firefox",
            MatchedPersonalCompartments = personal, MatchedCommonCompartments = !personal,
            ProxyMetrics = new PeerMetrics { PortMappingTypes = [3, 1] } });

    private sealed class Fixture : IAsyncDisposable
    {
        private readonly SessionPrivateKey _key = SessionPrivateKey.Generate();
        private readonly ObfuscationSecret _secret = ObfuscationSecret.Generate();

        public Fixture(TargetPolicy policy, ProxyQualityReporter? quality = null, bool personal = false)
        {
            Relay = new ScriptedRelay(Connection, personal);
            Server = InproxyTunnelServer.Start(new InproxyTunnelServerOptions
            {
                PrivateKey = _key,
                ObfuscationSecret = _secret,
                Reports = Relay,
                TargetPolicy = policy,
                ProxyQuality = quality,
            });
            Server.TunnelEnded += r => Ended.TrySetResult(r);
        }

        public Id32 Connection { get; } = Id32.NewRandom();

        public ScriptedRelay Relay { get; }

        public InproxyTunnelServer Server { get; }

        public TaskCompletionSource<ServerTunnelRecord> Ended { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public async Task<InproxyTunnel> ConnectAsync(string firstPacket, CancellationToken ct, Id32? connection = null)
        {
            var tcp = new TcpClient();
            await tcp.ConnectAsync(Server.LocalEndPoint, ct);
            var transport = new TcpTransport(tcp.GetStream(), connection ?? Connection, firstPacket);
            return await InproxyTunnel.EstablishAsync(transport, new ServerIdentity(_key.PublicKey, _secret), TimeSpan.FromSeconds(20), ct);
        }

        public async ValueTask DisposeAsync()
        {
            await Server.DisposeAsync();
            _key.Dispose();
        }
    }

    [Theory]
    [InlineData("A", new[] { "A" })]
    [InlineData("H1", new[] { "H1", "H3" })]
    public async Task Streams_open_only_after_the_report_verified_and_the_tunnel_is_logged(string first, string[] expectedPackets)
    {
        CancellationToken ct = BrokerServiceTests.Timeout();
        await using var fixture = new Fixture(TargetPolicy.AllowAll);
        await using LoopbackService echo = LoopbackService.Echo();
        var accepted = new TaskCompletionSource<VerifiedBrokerReport>(TaskCreationOptions.RunContinuationsAsynchronously);
        fixture.Server.TunnelAccepted += r => accepted.TrySetResult(r);

        await using (InproxyTunnel tunnel = await fixture.ConnectAsync(first, ct))
        {
            Assert.Equal(fixture.Connection, (await accepted.Task.WaitAsync(ct)).Report.ConnectionId);
            Assert.Equal(expectedPackets, fixture.Relay.Seen);
            await using MuxStream stream = await tunnel.OpenStreamAsync(echo.EndPoint.ToString(), ct);
            byte[] sent = RandomNumberGenerator.GetBytes(100_000);
            Task write = stream.WriteAsync(sent, ct).AsTask();
            byte[] back = new byte[sent.Length];
            await stream.ReadExactlyAsync(back, ct);
            await write;
            Assert.Equal(sent, back);
        }

        ServerTunnelRecord record = await fixture.Ended.Task.WaitAsync(ct);
        Assert.Equal(fixture.Connection.ToHex(), record.ConnectionId);
        Assert.Equal("Firefox", record.ProxyDtlsFingerprint);
        Assert.Equal("Pcp+UpnpIgd", record.ProxyPortMapping);
        Assert.True(record.ProxyAddressMatches);
        Assert.Equal(1, record.Streams);
        Assert.True(record.BytesUp > 100_000 && record.BytesDown > 100_000, $"{record.BytesUp}/{record.BytesDown}");
        Assert.Equal(1, fixture.Server.AcceptedTunnels);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_tunnel_past_the_quality_target_is_counted_for_its_proxy_when_it_ends_unless_personal(bool personal)
    {
        CancellationToken ct = BrokerServiceTests.Timeout();
        var requests = new System.Collections.Concurrent.ConcurrentQueue<ServerProxyQualityRequest>();
        using SessionPrivateKey brokerKey = SessionPrivateKey.Generate();
        await using var reporter = new ProxyQualityReporter(new ProxyQualityReporterOptions
        {
            Brokers = [new Inroad.Brokers.BrokerSpec(new Uri("http://127.0.0.1:9/b"), new Inroad.Sessions.ResponderIdentity(brokerKey.PublicKey, ObfuscationSecret.Generate()))],
            Send = (_, request, _) =>
            {
                requests.Enqueue(request);
                return Task.CompletedTask;
            },
            TargetDownstreamBytes = 50_000, // not met at the handshake: counted only with the final counts
            CheckInterval = TimeSpan.FromHours(1),
        });
        await using var fixture = new Fixture(TargetPolicy.AllowAll, reporter, personal);
        await using LoopbackService echo = LoopbackService.Echo();
        var accepted = new TaskCompletionSource<VerifiedBrokerReport>(TaskCreationOptions.RunContinuationsAsynchronously);
        fixture.Server.TunnelAccepted += r => accepted.TrySetResult(r);
        await using (InproxyTunnel tunnel = await fixture.ConnectAsync("A", ct))
        {
            await using MuxStream stream = await tunnel.OpenStreamAsync(echo.EndPoint.ToString(), ct);
            byte[] sent = RandomNumberGenerator.GetBytes(100_000);
            Task write = stream.WriteAsync(sent, ct).AsTask();
            await stream.ReadExactlyAsync(new byte[sent.Length], ct);
            await write;
            Assert.Equal(0, reporter.Qualified);
        }

        Id32 proxy = (await accepted.Task.WaitAsync(ct)).Report.ProxyId;
        Assert.Equal(!personal, (await fixture.Ended.Task.WaitAsync(ct)).ProxyQuality); // counted before the record
        await reporter.DisposeAsync(); // flushes at once
        Assert.Equal(personal ? 0 : 1, reporter.Qualified);
        if (personal)
        {
            Assert.Empty(requests);
            return;
        }

        ProxyQualityCounts counts = Assert.Single(Assert.Single(requests).QualityCounts);
        Assert.Equal(new Inroad.Broker.Quality.ProxyQualityKey(proxy, 0).ToBytes(), counts.Key.ToArray()); // no GeoIP: unknown ASNs
        Assert.Equal([("0", 1L)], counts.ClientAsnCounts);
    }

    [Theory]
    [InlineData(new int[0], "none")]
    [InlineData(new[] { 2 }, "NatPmp")]
    [InlineData(new[] { 3, 2, 1 }, "Pcp+NatPmp+UpnpIgd")]
    [InlineData(new[] { 9 }, "9")] // a value from a newer peer is kept as a number
    public void The_record_names_the_proxy_port_mapping(int[] types, string expected) =>
        Assert.Equal(expected, InproxyTunnelServer.PortMappingNames(types));

    [Theory]
    [InlineData("WRONG")] // the relay cannot verify it
    [InlineData("LOOP")]  // the relay never ends: cut off after ten rounds
    public async Task Without_a_verified_report_the_server_refuses_and_opens_nothing(string first)
    {
        CancellationToken ct = BrokerServiceTests.Timeout();
        await using var fixture = new Fixture(TargetPolicy.AllowAll);
        ClientTunnelException e = await Assert.ThrowsAsync<ClientTunnelException>(() => fixture.ConnectAsync(first, ct));
        Assert.Contains("refused", e.Message, StringComparison.Ordinal);
        // The client hears Refused a moment before the server has counted it.
        while (fixture.Server.RefusedTunnels == 0)
        {
            await Task.Delay(10, ct);
        }

        Assert.Equal(0, fixture.Server.AcceptedTunnels);
        Assert.Equal(1, fixture.Server.RefusedTunnels);
        Assert.True(fixture.Relay.Seen.Count <= BrokerReportRelay.MaxRelayRoundTrips + 1, $"{fixture.Relay.Seen.Count} relay rounds");
    }

    [Fact]
    public async Task A_report_for_another_connection_is_refused()
    {
        CancellationToken ct = BrokerServiceTests.Timeout();
        await using var fixture = new Fixture(TargetPolicy.AllowAll);
        await Assert.ThrowsAsync<ClientTunnelException>(() => fixture.ConnectAsync("A", ct, connection: Id32.NewRandom()));
        Assert.Equal(0, fixture.Server.AcceptedTunnels);
    }

    [Fact]
    public async Task A_stream_to_a_denied_address_is_refused_by_default_policy()
    {
        CancellationToken ct = BrokerServiceTests.Timeout();
        await using var fixture = new Fixture(new TargetPolicy());
        await using LoopbackService echo = LoopbackService.Echo();
        await using InproxyTunnel tunnel = await fixture.ConnectAsync("A", ct);
        TunnelStreamException e = await Assert.ThrowsAsync<TunnelStreamException>(() => tunnel.OpenStreamAsync(echo.EndPoint.ToString(), ct));
        Assert.Equal(MuxResetReason.NotAllowed, e.Reason);
    }

    [Fact]
    public async Task Garbage_gets_no_answer_and_no_tunnel()
    {
        CancellationToken ct = BrokerServiceTests.Timeout();
        await using var fixture = new Fixture(TargetPolicy.AllowAll);
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(fixture.Server.LocalEndPoint, ct);
        NetworkStream s = tcp.GetStream();
        await s.WriteAsync(RandomNumberGenerator.GetBytes(600), ct);
        tcp.ReceiveTimeout = 1500;
        byte[] buffer = new byte[16];
        using var quiet = CancellationTokenSource.CreateLinkedTokenSource(ct);
        quiet.CancelAfter(1500);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await s.ReadAtLeastAsync(buffer, 1, throwOnEndOfStream: false, quiet.Token));
        Assert.Equal(0, fixture.Server.AcceptedTunnels + fixture.Server.RefusedTunnels);
    }
}
