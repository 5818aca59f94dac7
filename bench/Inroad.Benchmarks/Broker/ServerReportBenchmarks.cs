using BenchmarkDotNet.Attributes;
using Inroad.Broker.Destinations;
using Inroad.Broker.Reports;
using Inroad.Protocol;
using Inroad.Protocol.Messages;
using Inroad.Server.BrokerReports;
using Inroad.Sessions.Keys;
using Inroad.Sessions.Obfuscation;
using Id32 = Inroad.Protocol.Id32;

namespace Inroad.Benchmarks.Broker;

/// <summary>
/// What a BrokerServerReport costs: the broker sealing one over an established session (the common case, paid once per
/// match) plus the tunnel server opening and checking it; and a fresh Noise handshake through the relay.
/// </summary>
[MemoryDiagnoser]
public class ServerReportBenchmarks
{
    private SessionPrivateKey _brokerKey = null!;
    private SessionPrivateKey _serverKey = null!;
    private ServerEntry _entry = null!;
    private ObfuscationSecret _serverSecret = null!;
    private ServerReportRelay _relay = null!;
    private ServerBrokerSessions _server = null!;
    private BrokerServerReport _report = null!;

    [GlobalSetup]
    public void Setup()
    {
        _brokerKey = SessionPrivateKey.Generate();
        _serverKey = SessionPrivateKey.Generate();
        byte[] secret = new byte[32];
        new Random(1).NextBytes(secret);
        _serverSecret = ObfuscationSecret.FromBytes(secret);
        _entry = new ServerEntry { SessionPublicKey = _serverKey.PublicKey.Ed25519.ToArray(), ObfuscationSecret = secret };
        _relay = new ServerReportRelay(new ServerReportRelayOptions { PrivateKey = _brokerKey });
        _server = NewServer();
        _report = new BrokerServerReport
        {
            ProxyId = Id32.NewRandom(),
            ClientIp = "203.0.113.7",
            ProxyIp = "198.51.100.9",
            MatchedCommonCompartments = true,
            ProxyMetrics = new PeerMetrics { ProtocolVersion = 2, MaxCommonClients = 4 },
            ProxyDtlsFingerprint = "chrome-131",
        };

        // Establish the session once.
        if (FreshAsync(_relay, _server).GetAwaiter().GetResult() is null)
        {
            throw new InvalidOperationException("setup relay failed");
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _relay.Dispose();
        _server.Dispose();
        _brokerKey.Dispose();
        _serverKey.Dispose();
    }

    /// <summary>Broker seals the report (established session), server verifies it: zero relay round trips.</summary>
    [Benchmark(Baseline = true)]
    public async Task<bool> EstablishedSealAndVerify()
    {
        BrokerServerReport report = _report with { ConnectionId = Id32.NewRandom() };
        byte[] packet = await _relay.StartAsync(_entry, report, CancellationToken.None);
        return (await _server.HandlePacketAsync(packet, report.ConnectionId, CancellationToken.None)).Report is not null;
    }

    /// <summary>A new broker relay each time: Noise XK handshake through one relayed round trip, then the report.</summary>
    [Benchmark]
    public async Task<bool> FreshHandshakeAndVerify()
    {
        using var relay = new ServerReportRelay(new ServerReportRelayOptions { PrivateKey = _brokerKey });
        return await FreshAsync(relay, _server) is not null;
    }

    private async Task<VerifiedBrokerReport?> FreshAsync(ServerReportRelay relay, ServerBrokerSessions server)
    {
        BrokerServerReport report = _report with { ConnectionId = Id32.NewRandom() };
        byte[] first = await relay.StartAsync(_entry, report, CancellationToken.None);
        return await server.VerifyAsync(first, report.ConnectionId, async (toBroker, ct) => await relay.ContinueAsync(report.ConnectionId, toBroker, ct), CancellationToken.None);
    }

    private ServerBrokerSessions NewServer() => new(new ServerBrokerSessionsOptions
    {
        PrivateKey = _serverKey,
        ObfuscationSecret = _serverSecret,
        Brokers = [_brokerKey.PublicKey],
        ReplayHistoryCapacity = 10_000_000, // a benchmark sends millions of packets; a full filter would start refusing them
    });
}
