using System.Net;
using Inroad.Broker.Compartments;
using Inroad.Broker.Destinations;
using Inroad.Broker.Http;
using Inroad.Broker.Quality;
using Inroad.Broker.Reports;
using Inroad.Broker.Service;
using Inroad.Brokers;
using Inroad.Client.Dial;
using Inroad.Client.LocalProxy;
using Inroad.Client.Tunnel;
using Inroad.Geo;
using Inroad.Protocol;
using Inroad.Proxy;
using Inroad.Server;
using Inroad.Server.BrokerReports;
using Inroad.Server.Quality;
using Inroad.Sessions;
using Inroad.Sessions.Keys;
using Inroad.Sessions.Obfuscation;
using Inroad.WebRtc.PeerConnection;
using Microsoft.Extensions.Logging;

namespace Inroad.Demo;

/// <summary>
/// A whole in-proxy network on one machine: a broker (HTTP/2 on loopback), a tunnel server with an in-proxy
/// listener, proxies and clients, all with fresh keys. <c>inroad demo</c> runs it with the embedded settings; the
/// end-to-end tests run it with more proxies and clients. Loopback ICE candidates and (optionally) loopback tunnel
/// targets are allowed here and nowhere else.
/// </summary>
internal sealed class DemoNetwork : IAsyncDisposable
{
    private const string Tag = "demo-server";
    private readonly DemoNetworkOptions _options;
    private readonly SessionPrivateKey _brokerKey;
    private readonly ResponderSessions _brokerSessions;
    private readonly SessionPrivateKey _serverKey;
    private readonly ServerBrokerSessions _serverBrokerSessions;
    private readonly ProxyQualityReporter? _quality;
    private readonly List<DemoProxy> _proxies = [];
    private readonly List<DemoClient> _clients = [];
    private readonly Lock _lock = new();

    private DemoNetwork(DemoNetworkOptions options, SessionPrivateKey brokerKey, ResponderSessions brokerSessions, BrokerService broker, BrokerHttpHost brokerHost,
        BrokerSpec brokerSpec, SessionPrivateKey serverKey, ServerBrokerSessions serverBrokerSessions, ProxyQualityReporter? quality, InproxyTunnelServer server, byte[] serverEntry, Id32 common)
    {
        _options = options;
        _brokerKey = brokerKey;
        _brokerSessions = brokerSessions;
        Broker = broker;
        BrokerHost = brokerHost;
        BrokerSpec = brokerSpec;
        _serverKey = serverKey;
        _serverBrokerSessions = serverBrokerSessions;
        _quality = quality;
        Server = server;
        SignedServerEntry = serverEntry;
        CommonCompartment = common;
    }

    public BrokerService Broker { get; }

    public BrokerHttpHost BrokerHost { get; }

    public BrokerSpec BrokerSpec { get; }

    public InproxyTunnelServer Server { get; }

    /// <summary>The tunnel server's proxy quality reporter, when <see cref="DemoNetworkOptions.ProxyQuality"/> is set.</summary>
    public ProxyQualityReporter? ProxyQuality => _quality;

    /// <summary>The tunnel server's signed entry, as a client carries it.</summary>
    public byte[] SignedServerEntry { get; }

    /// <summary>The in-proxy listener's address (what clients name as destination).</summary>
    public string Destination => Server.LocalEndPoint.ToString();

    public Id32 CommonCompartment { get; }

    /// <summary>Starts the broker and the tunnel server.</summary>
    public static async Task<DemoNetwork> StartAsync(DemoNetworkOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        byte[] signingSeed = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
        Id32 common = Id32.NewRandom();

        // Broker.
        SessionPrivateKey brokerKey = SessionPrivateKey.Generate();
        ObfuscationSecret brokerSecret = ObfuscationSecret.Generate();
        var broker = new BrokerService(new BrokerServiceOptions
        {
            CommonCompartments = new CommonCompartments([common]),
            Destinations = new DestinationCheck(Inroad.Broker.Destinations.SignedServerEntry.PublicKeyOf(signingSeed), tag => tag == Tag),
            Geo = NoGeoLookup.Instance,
            AllowBogonCandidates = true,
            ProxyAnnounceTimeout = options.ProxyAnnounceTimeout,
            Reports = new ServerReportRelayOptions { PrivateKey = brokerKey, LoggerFactory = options.LoggerFactory },

            // Every proxy with quality is prioritised: an empty filter would prioritise nobody, and demo proxies send no
            // sponsor ID ("*" does not match an empty value), but network_type always has a name.
            Quality = new ProxyQualityOptions { Enabled = options.ProxyQuality is not null, PrioritizeFilter = new() { ["network_type"] = ["*"] } },
        });
        var brokerSessions = new ResponderSessions(new ResponderSessionsOptions { PrivateKey = brokerKey, ObfuscationSecret = brokerSecret, LoggerFactory = options.LoggerFactory });
        BrokerHttpHost host = await BrokerHttpHost.StartAsync(new BrokerHttpHostOptions(), broker, brokerSessions, cancellationToken).ConfigureAwait(false);
        var spec = new BrokerSpec(host.Address, new ResponderIdentity(brokerKey.PublicKey, brokerSecret));

        // Tunnel server.
        SessionPrivateKey serverKey = SessionPrivateKey.Generate();
        byte[] serverSecretBytes = System.Security.Cryptography.RandomNumberGenerator.GetBytes(ObfuscationSecret.Length);
        ObfuscationSecret serverSecret = ObfuscationSecret.FromBytes(serverSecretBytes);
        var reports = new ServerBrokerSessions(new ServerBrokerSessionsOptions
        {
            PrivateKey = serverKey,
            ObfuscationSecret = serverSecret,
            Brokers = [brokerKey.PublicKey],
            LoggerFactory = options.LoggerFactory,
        });
        ProxyQualityReporter? quality = null;
        if (options.ProxyQuality is { } q)
        {
            q.Brokers = [spec];
            q.PrivateKey = serverKey;
            q.LoggerFactory ??= options.LoggerFactory;
            quality = new ProxyQualityReporter(q);
        }

        InproxyTunnelServer server = InproxyTunnelServer.Start(new InproxyTunnelServerOptions
        {
            PrivateKey = serverKey,
            ObfuscationSecret = serverSecret,
            Reports = reports,
            ProxyQuality = quality,
            TargetPolicy = options.AllowLoopbackTargets ? TargetPolicy.AllowAll : new TargetPolicy(),
            LoggerFactory = options.LoggerFactory,
        });
        var entry = new ServerEntry
        {
            Tag = Tag,
            IpAddress = server.LocalEndPoint.Address.ToString(),
            SessionPublicKey = serverKey.PublicKey.Ed25519.ToArray(),
            ObfuscationSecret = serverSecretBytes,
            Capabilities = [new InproxyCapability("INPROXY-WEBRTC-OSSH", 0, server.LocalEndPoint.Port)],
        };
        byte[] signed = Inroad.Broker.Destinations.SignedServerEntry.Sign(entry, signingSeed);
        return new DemoNetwork(options, brokerKey, brokerSessions, broker, host, spec, serverKey, reports, quality, server, signed, common);
    }

    /// <summary>Starts a proxy; <paramref name="personal"/> makes it serve only that personal compartment.</summary>
    public DemoProxy StartProxy(Id32? personal = null, int maxCommonClients = 3, int maxPersonalClients = 3)
    {
        var proxy = DemoProxy.Start(this, personal, maxCommonClients, maxPersonalClients);
        lock (_lock)
        {
            _proxies.Add(proxy);
        }

        return proxy;
    }

    /// <summary>Starts a client (tunnel keeper + local SOCKS5/HTTP ports); <paramref name="personal"/> pairs it with that compartment's proxies.</summary>
    public DemoClient StartClient(Id32? personal = null, int socksPort = 0, int httpPort = 0)
    {
        var client = DemoClient.Start(this, personal, socksPort, httpPort);
        lock (_lock)
        {
            _clients.Add(client);
        }

        return client;
    }

    internal RtcPeerOptions WebRtcOptions() => new()
    {
        IncludeLoopback = _options.IncludeLoopbackCandidates,
        HostAddresses = _options.IncludeLoopbackCandidates ? [IPAddress.Loopback] : null,
        LoggerFactory = _options.LoggerFactory ?? Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance,
    };

    internal ILoggerFactory? LoggerFactory => _options.LoggerFactory;

    public async ValueTask DisposeAsync()
    {
        DemoClient[] clients;
        DemoProxy[] proxies;
        lock (_lock)
        {
            clients = [.. _clients];
            proxies = [.. _proxies];
        }

        foreach (DemoClient c in clients)
        {
            await c.DisposeAsync().ConfigureAwait(false);
        }

        foreach (DemoProxy p in proxies)
        {
            await p.DisposeAsync().ConfigureAwait(false);
        }

        await Server.DisposeAsync().ConfigureAwait(false);
        if (_quality is not null)
        {
            await _quality.DisposeAsync().ConfigureAwait(false); // flushes to the broker, still up
        }

        await BrokerHost.DisposeAsync().ConfigureAwait(false);
        await Broker.DisposeAsync().ConfigureAwait(false);
        _serverBrokerSessions.Dispose();
        _brokerSessions.Dispose();
        _serverKey.Dispose();
        _brokerKey.Dispose();
    }
}
