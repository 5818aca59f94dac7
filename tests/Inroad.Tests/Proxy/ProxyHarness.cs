using System.Net;
using System.Net.Sockets;
using Inroad.Broker.Compartments;
using Inroad.Broker.Destinations;
using Inroad.Broker.Http;
using Inroad.Broker.Matching;
using Inroad.Broker.Service;
using Inroad.Brokers;
using Inroad.Geo;
using Inroad.Protocol;
using Inroad.Protocol.Messages;
using Inroad.Proxy;
using Inroad.Sessions;
using Inroad.Sessions.Keys;
using Inroad.Sessions.Obfuscation;
using Inroad.WebRtc.PeerConnection;
using Id32 = Inroad.Protocol.Id32;

namespace Inroad.Tests.Proxy;

/// <summary>
/// A real broker (BrokerService behind BrokerHttpHost, h2c on loopback, Noise sessions), a loopback TCP echo
/// server named by a signed server entry the broker accepts, and a test client that offers with our
/// RtcPeerConnection. Everything stays on 127.0.0.1.
/// </summary>
internal sealed class ProxyHarness : IAsyncDisposable
{
    public static readonly Id32 Common = Id32.From(Enumerable.Repeat((byte)0x42, 32).ToArray());

    private static readonly byte[] NetworkSeed = Enumerable.Range(7, 32).Select(i => (byte)i).ToArray();

    private readonly TcpListener _echo;
    private readonly Task _echoLoop;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<IDisposable> _owned = [];
    private readonly List<IAsyncDisposable> _ownedAsync = [];

    private readonly Func<NetworkStream, CancellationToken, Task> _serve;

    private ProxyHarness(TcpListener echo, BrokerService service, BrokerHttpHost host, ResponderSessions sessions, ResponderIdentity identity, Func<NetworkStream, CancellationToken, Task>? serve)
    {
        _echo = echo;
        _serve = serve ?? ((s, ct) => s.CopyToAsync(s, ct));
        Service = service;
        Host = host;
        _owned.Add(sessions);
        Identity = identity;
        SignedEntry = SignedServerEntry.Sign(
            new ServerEntry
            {
                Tag = "t1",
                IpAddress = "127.0.0.1",
                SessionPublicKey = new byte[32],
                ObfuscationSecret = new byte[32],
                Capabilities = [new InproxyCapability("INPROXY-WEBRTC-OSSH", 0, EchoPort)],
            },
            NetworkSeed);
        _echoLoop = EchoLoopAsync();
    }

    public BrokerService Service { get; }

    public BrokerHttpHost Host { get; }

    public ResponderIdentity Identity { get; }

    public byte[] SignedEntry { get; }

    public int EchoPort => ((IPEndPoint)_echo.LocalEndpoint).Port;

    /// <summary>Connections the echo server accepted.</summary>
    public int EchoConnections => Volatile.Read(ref _echoConnections);

    private int _echoConnections;

    /// <summary>Starts the broker and the destination; <paramref name="serve"/> replaces the echo service.</summary>
    public static async Task<ProxyHarness> StartAsync(
        CancellationToken ct,
        bool noCommonCompartments = false,
        TimeSpan? announceTimeout = null,
        Func<NetworkStream, CancellationToken, Task>? serve = null)
    {
        var echo = new TcpListener(IPAddress.Loopback, 0);
        echo.Start();
        int port = ((IPEndPoint)echo.LocalEndpoint).Port;
        var service = new BrokerService(new BrokerServiceOptions
        {
            CommonCompartments = new CommonCompartments(noCommonCompartments ? [] : [Common]),
            Destinations = new DestinationCheck(SignedServerEntry.PublicKeyOf(NetworkSeed), tag => tag == "t1"),
            Geo = new FixedGeo(),
            AllowBogonCandidates = true,
            ClientOfferTimeout = TimeSpan.FromSeconds(10),
            ClientOfferPersonalTimeout = TimeSpan.FromSeconds(10),
            ProxyAnnounceTimeout = announceTimeout ?? TimeSpan.FromSeconds(30),
            Matcher = new MatcherOptions
            {
                AllowCommonAsnMatching = true,
                AnnouncementLimitEntryCount = 1000,
                AnnouncementRateQuantity = 100_000,
                OfferLimitEntryCount = 1000,
                OfferRateQuantity = 100_000,
            },
        });
        _ = port;
        SessionPrivateKey key = SessionPrivateKey.Generate();
        ObfuscationSecret secret = ObfuscationSecret.Generate();
        var sessions = new ResponderSessions(new ResponderSessionsOptions { PrivateKey = key, ObfuscationSecret = secret });
        BrokerHttpHost host = await BrokerHttpHost.StartAsync(new BrokerHttpHostOptions(), service, sessions, ct);
        return new ProxyHarness(echo, service, host, sessions, new ResponderIdentity(key.PublicKey, secret), serve);
    }

    public static RtcPeerOptions LoopbackWebRtc() => new()
    {
        IncludeLoopback = true,
        HostAddresses = [IPAddress.Loopback],
        ConnectTimeout = TimeSpan.FromSeconds(30),
    };

    /// <summary>A broker client towards this broker; with a key, a proxy's.</summary>
    public BrokerClient NewBrokerClient(SessionPrivateKey? key = null)
    {
        var client = new BrokerClient(new BrokerClientOptions { Brokers = [new BrokerSpec(Host.Address, Identity)], PrivateKey = key });
        _owned.Add(client);
        return client;
    }

    /// <summary>Proxy options with loopback WebRTC, fast announcements and a fresh identity.</summary>
    public ProxyOptions ProxyOptions(Action<ProxyOptions>? configure = null)
    {
        SessionPrivateKey key = SessionPrivateKey.Generate();
        _owned.Add(key);
        var options = new ProxyOptions
        {
            Brokers = NewBrokerClient(key),
            MaxCommonClients = 1,
            WebRtc = LoopbackWebRtc(),
            AnnounceDelay = TimeSpan.FromMilliseconds(100),
        };
        configure?.Invoke(options);
        return options;
    }

    /// <summary>Starts a proxy; it is disposed with the harness.</summary>
    public (InproxyProxy Proxy, Task Run) StartProxy(ProxyOptions options)
    {
        var proxy = new InproxyProxy(options);
        _ownedAsync.Add(proxy);
        return (proxy, proxy.RunAsync(_stop.Token));
    }

    /// <summary>The client side of a dial: offer, ClientOffer, connect, open a channel.</summary>
    public async Task<TestClient> DialAsync(CancellationToken ct, Id32? personal = null, string? offerOverride = null)
    {
        byte[] secret = new byte[32];
        Random.Shared.NextBytes(secret);
        RtcPeerOptions options = LoopbackWebRtc();
        options.ShapeSeed = secret;
        (RtcPeerConnection peer, string offer) = await RtcPeerConnection.CreateOfferAsync(options, ct);
        try
        {
            BrokerClient brokers = NewBrokerClient();
            ClientOfferResponse response = await brokers.RequestAsync<ClientOfferRequest, ClientOfferResponse>(
                new ClientOfferRequest
                {
                    Metrics = new PeerMetrics { ProtocolVersion = ProtocolVersions.V1 },
                    CommonCompartmentIds = personal is null ? [Common] : [],
                    PersonalCompartmentIds = personal is { } p ? [p] : [],
                    ClientOfferSdp = offerOverride ?? offer,
                    ClientRootObfuscationSecret = secret,
                    PackedDestinationServerEntry = SignedEntry,
                    DestinationAddress = $"127.0.0.1:{EchoPort}",
                },
                TimeSpan.Zero,
                BrokerRequestTimeouts.Offer,
                ct);
            if (response.NoMatch || response.Limited || response.MustUpgrade)
            {
                await peer.DisposeAsync();
                return new TestClient(null, null, response);
            }

            await peer.ConnectAsync(response.ProxyAnswerSdp, ct);
            Stream stream = await peer.OpenStreamAsync("t", ct);
            return new TestClient(peer, stream, response);
        }
        catch
        {
            await peer.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        foreach (IAsyncDisposable d in _ownedAsync)
        {
            await d.DisposeAsync();
        }

        _echo.Stop();
        await _echoLoop;
        await Host.DisposeAsync();
        foreach (IDisposable d in _owned)
        {
            d.Dispose();
        }

        _stop.Dispose();
    }

    private async Task EchoLoopAsync()
    {
        var connections = new List<Task>();
        try
        {
            while (true)
            {
                Socket socket = await _echo.AcceptSocketAsync(_stop.Token);
                Interlocked.Increment(ref _echoConnections);
                connections.Add(Task.Run(async () =>
                {
                    using var s = new NetworkStream(socket, ownsSocket: true);
                    try
                    {
                        await _serve(s, _stop.Token);
                    }
                    catch (Exception e) when (e is IOException or OperationCanceledException or SocketException)
                    {
                    }
                }));
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }

        await Task.WhenAll(connections);
    }

    private sealed class FixedGeo : IGeoLookup
    {
        public GeoKey Lookup(IPAddress address) => GeoKey.From("NL", 0);
    }
}

/// <summary>A dialed test client: the peer and its channel, or the broker's refusal.</summary>
internal sealed record TestClient(RtcPeerConnection? Peer, Stream? Stream, ClientOfferResponse Response) : IAsyncDisposable
{
    public async ValueTask DisposeAsync()
    {
        if (Stream is not null)
        {
            await Stream.DisposeAsync();
        }

        if (Peer is not null)
        {
            await Peer.DisposeAsync();
        }
    }
}
