using System.Collections.Concurrent;
using System.Net;
using Inroad.Broker.Compartments;
using Inroad.Broker.Destinations;
using Inroad.Broker.Http;
using Inroad.Broker.Matching;
using Inroad.Broker.Service;
using Inroad.Brokers;
using Inroad.Client.Dial;
using Inroad.Geo;
using Inroad.Protocol;
using Inroad.Protocol.Messages;
using Inroad.Sessions;
using Inroad.Sessions.Keys;
using Id32 = Inroad.Protocol.Id32;
using Inroad.Sessions.Obfuscation;
using Inroad.WebRtc.PeerConnection;

namespace Inroad.Tests.Client.Dial;

/// <summary>A real broker (BrokerService behind BrokerHttpHost, h2c on loopback) and what a dial test needs around it.</summary>
internal sealed class DialBroker : IAsyncDisposable
{
    public static readonly Id32 Common = Id32.NewRandom();

    private static readonly byte[] NetworkSeed = Enumerable.Range(90, 32).Select(i => (byte)i).ToArray();

    /// <summary>A signed entry for an in-proxy listener at 127.0.0.1:9443 (nobody listens: the test proxy echoes instead).</summary>
    public static readonly byte[] Entry = SignedServerEntry.Sign(
        new ServerEntry
        {
            Tag = "dial",
            IpAddress = "127.0.0.1",
            SessionPublicKey = new byte[32],
            ObfuscationSecret = new byte[32],
            Capabilities = [new InproxyCapability("INPROXY-WEBRTC-OSSH", 0, 9443)],
        },
        NetworkSeed);

    public static readonly InproxyDestination Destination = new(Entry, "127.0.0.1:9443");

    private readonly ResponderSessions _sessions;

    private DialBroker(BrokerService service, BrokerHttpHost host, ResponderSessions sessions, BrokerSpec spec)
    {
        Service = service;
        Host = host;
        _sessions = sessions;
        Spec = spec;
    }

    public BrokerService Service { get; }

    public BrokerHttpHost Host { get; }

    public BrokerSpec Spec { get; }

    public static async Task<DialBroker> StartAsync(TimeSpan offerTimeout, CancellationToken ct)
    {
        var service = new BrokerService(new BrokerServiceOptions
        {
            CommonCompartments = new CommonCompartments([Common]),
            Destinations = new DestinationCheck(SignedServerEntry.PublicKeyOf(NetworkSeed), tag => tag == "dial"),
            Geo = new NoGeo(),
            AllowBogonCandidates = true,
            ClientOfferTimeout = offerTimeout,
            ClientOfferPersonalTimeout = offerTimeout,
            ProxyAnnounceTimeout = TimeSpan.FromSeconds(5),
            Matcher = new MatcherOptions { AllowCommonAsnMatching = true, AnnouncementLimitEntryCount = 1000, AnnouncementRateQuantity = 100_000, OfferLimitEntryCount = 1000, OfferRateQuantity = 100_000 },
        });
        SessionPrivateKey key = SessionPrivateKey.Generate();
        ObfuscationSecret secret = ObfuscationSecret.Generate();
        var sessions = new ResponderSessions(new ResponderSessionsOptions { PrivateKey = key, ObfuscationSecret = secret });
        BrokerHttpHost host = await BrokerHttpHost.StartAsync(new BrokerHttpHostOptions(), service, sessions, ct);
        return new DialBroker(service, host, sessions, new BrokerSpec(host.Address, new ResponderIdentity(key.PublicKey, secret)));
    }

    public static RtcPeerOptions Loopback() => new()
    {
        IncludeLoopback = true,
        HostAddresses = [IPAddress.Loopback],
        ConnectTimeout = TimeSpan.FromSeconds(20),
    };

    public static CancellationToken Timeout(int seconds = 90)
    {
        var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(TimeSpan.FromSeconds(seconds));
        return cts.Token;
    }

    public async ValueTask DisposeAsync()
    {
        await Host.DisposeAsync();
        _sessions.Dispose();
    }

    private sealed class NoGeo : IGeoLookup
    {
        public GeoKey Lookup(IPAddress address) => GeoKey.Unknown;
    }
}

/// <summary>
/// A minimal in-proxy proxy for dial tests: announce → CreateAnswerAsync (shape seed = the client's root secret) →
/// ProxyAnswer → ConnectAsync → AcceptStreamAsync (with the client's shaping) → echo, until disposed.
/// </summary>
internal sealed class TestProxy : IAsyncDisposable
{
    private readonly BrokerClient _brokers;
    private readonly CancellationTokenSource _stop;
    private readonly ConcurrentBag<Task> _clients = [];
    private readonly Task _loop;
    private int _matches;

    private TestProxy(DialBroker broker, Id32? personal, int dropFirst, CancellationToken ct)
    {
        _brokers = new BrokerClient(new BrokerClientOptions { Brokers = [broker.Spec], PrivateKey = SessionPrivateKey.Generate() });
        _stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        _loop = Task.Run(() => RunAsync(personal, dropFirst, _stop.Token), CancellationToken.None);
    }

    /// <summary>Matches the proxy made (answered or dropped).</summary>
    public int Matches => Volatile.Read(ref _matches);

    /// <summary>The offers of the matches, as the broker passed them on.</summary>
    public ConcurrentQueue<string> Offers { get; } = new();

    /// <summary>Starts announcing; the first <paramref name="dropFirst"/> matches get an answer but no peer behind it.</summary>
    public static TestProxy Start(DialBroker broker, CancellationToken ct, Id32? personal = null, int dropFirst = 0) => new(broker, personal, dropFirst, ct);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll([_loop, .. _clients]).WaitAsync(TimeSpan.FromSeconds(10)).ContinueWith(_ => { }, TaskScheduler.Default);
        _brokers.Dispose();
        _stop.Dispose();
    }

    private async Task RunAsync(Id32? personal, int dropFirst, CancellationToken ct)
    {
        var request = new ProxyAnnounceRequest
        {
            Metrics = new PeerMetrics { ProtocolVersion = ProtocolVersions.Latest, MaxCommonClients = 10 },
            PersonalCompartmentIds = personal is Id32 id ? [id] : [],
        };
        while (!ct.IsCancellationRequested)
        {
            ProxyAnnounceResponse r;
            try
            {
                r = await _brokers.RequestAsync<ProxyAnnounceRequest, ProxyAnnounceResponse>(request, TimeSpan.Zero, TimeSpan.FromSeconds(10), ct);
            }
            catch (Exception e) when (e is OperationCanceledException or SessionException)
            {
                if (ct.IsCancellationRequested)
                {
                    return;
                }

                await Task.Delay(100, ct).ContinueWith(_ => { }, TaskScheduler.Default);
                continue;
            }

            if (r.IsMatch)
            {
                Offers.Enqueue(r.ClientOfferSdp ?? "");
                bool drop = Interlocked.Increment(ref _matches) <= dropFirst;
                _clients.Add(ServeAsync(r, drop, ct));
            }
        }
    }

    private async Task ServeAsync(ProxyAnnounceResponse match, bool drop, CancellationToken ct)
    {
        RtcPeerOptions options = DialBroker.Loopback();
        options.ShapeSeed = match.ClientRootObfuscationSecret.ToArray();
        var (peer, answer) = await RtcPeerConnection.CreateAnswerAsync(options, match.ClientOfferSdp!, ct);
        await using (peer)
        {
            if (drop)
            {
                await peer.DisposeAsync(); // the answer leads nowhere: the client's ICE cannot complete
            }

            ProxyAnswerResponse ack = await _brokers.RequestAsync<ProxyAnswerRequest, ProxyAnswerResponse>(
                new ProxyAnswerRequest { ConnectionId = match.ConnectionId, ProxyAnswerSdp = answer, ProxyDtlsFingerprint = "test" },
                TimeSpan.Zero,
                BrokerRequestTimeouts.Answer,
                ct);
            if (drop || ack.NoAwaitingClient)
            {
                return;
            }

            try
            {
                await peer.ConnectAsync(cancellationToken: ct);
                var (stream, _) = await peer.AcceptStreamAsync(InproxyShaping.For(match.TrafficShaping, match.ClientRootObfuscationSecret), ct);
                await using (stream)
                {
                    await stream.CopyToAsync(stream, ct);
                }
            }
            catch (Exception) when (ct.IsCancellationRequested)
            {
            }
        }
    }
}
