using System.Text.Json;
using System.Text.Json.Serialization;
using Inroad.Broker.Compartments;
using Inroad.Brokers;
using Inroad.Sessions;
using Inroad.Sessions.Keys;
using Inroad.Sessions.Obfuscation;
using Inroad.WebRtc.PeerConnection;
using Microsoft.Extensions.Logging;

namespace Inroad.Proxy;

/// <summary>
/// <c>proxy.json</c> (design §8.2, §8.3): the brokers, client limits, an optional personal compartment given
/// as its pairing string, and where the long-term key lives. The key file (base64 of the Ed25519 key, as
/// <c>inroad keygen</c> prints it) is created on first run, so the proxy ID survives restarts. Keys and
/// secrets are base64 (raw std).
/// </summary>
internal sealed class ProxyConfig
{
    /// <summary>Brokers, tried in order; at least one.</summary>
    public List<BrokerSpecConfig> Brokers { get; set; } = [];

    /// <summary>The long-term key file, relative to the configuration file; created when missing.</summary>
    public string KeyFile { get; set; } = "proxy.key";

    /// <summary>
    /// Common clients served at once. Defaults to 2 without a pairing string and to 0 with one (a personal proxy serves
    /// only its compartment unless common slots are asked for explicitly).
    /// </summary>
    public int? MaxCommonClients { get; set; }

    /// <summary>Clients of the personal compartment served at once (with <see cref="PersonalPairing"/>). Defaults to 2.</summary>
    public int MaxPersonalClients { get; set; } = 2;

    /// <summary>The operator's pairing string (<c>inroad-pair:…</c>): personal slots serve only that compartment's clients.</summary>
    public string? PersonalPairing { get; set; }

    /// <summary>Common slots in effect (see <see cref="MaxCommonClients"/>).</summary>
    public int CommonSlots => MaxCommonClients ?? (PersonalPairing is null ? 2 : 0);

    /// <summary>Personal slots in effect: none without a pairing string.</summary>
    public int PersonalSlots => PersonalPairing is null ? 0 : MaxPersonalClients;

    public long LimitUpstreamBytesPerSecond { get; set; }

    public long LimitDownstreamBytesPerSecond { get; set; }

    public int InactivityTimeoutSeconds { get; set; } = 300;

    /// <summary>Offer loopback ICE candidates (single-machine demos and tests only).</summary>
    public bool IncludeLoopback { get; set; }

    /// <summary>Port mapping of each client's WebRTC port at the gateway (UPnP-IGD, NAT-PMP, PCP). Absent: on, default gateway.</summary>
    public Network.PortMappingConfig? PortMapping { get; set; }

    /// <summary>Background NAT type discovery for the announcements. Absent: on, with the embedded STUN servers.</summary>
    public Network.NatDiscoveryConfig? NatDiscovery { get; set; }

    /// <summary>Reads and checks a configuration file; throws <see cref="InvalidDataException"/> naming the bad field.</summary>
    public static ProxyConfig Load(string path)
    {
        ProxyConfig config;
        try
        {
            using FileStream stream = File.OpenRead(path);
            config = JsonSerializer.Deserialize(stream, ProxyConfigJson.Default.ProxyConfig) ?? throw new InvalidDataException("empty proxy configuration");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"proxy configuration is not valid JSON: {e.Message}", e);
        }

        config.Validate();
        return config;
    }

    /// <summary>Throws <see cref="InvalidDataException"/> naming the first bad field.</summary>
    public void Validate()
    {
        try
        {
            _ = BrokerSpecConfig.ToSpecs(Brokers, "brokers");
        }
        catch (FormatException e)
        {
            throw new InvalidDataException(e.Message, e);
        }

        if (string.IsNullOrWhiteSpace(KeyFile))
        {
            throw new InvalidDataException("keyFile: a path is required");
        }

        if (PersonalPairing is not null && !PairingString.TryDecode(PersonalPairing, out _))
        {
            throw new InvalidDataException("personalPairing: not a pairing string (inroad-pair:…)");
        }

        if (CommonSlots is < 0 or > InproxyProxy.MaxClientsLimit || MaxPersonalClients is < 0 or > InproxyProxy.MaxClientsLimit)
        {
            throw new InvalidDataException($"maxCommonClients/maxPersonalClients: must be within 0..{InproxyProxy.MaxClientsLimit}");
        }

        if (CommonSlots + PersonalSlots == 0)
        {
            throw new InvalidDataException(PersonalPairing is null ? "maxCommonClients: must be positive" : "maxPersonalClients: must be positive with a personal pairing string (or give maxCommonClients)");
        }

        if (LimitUpstreamBytesPerSecond < 0 || LimitDownstreamBytesPerSecond < 0)
        {
            throw new InvalidDataException("limitUpstreamBytesPerSecond/limitDownstreamBytesPerSecond: must not be negative (0 is unlimited)");
        }

        if (InactivityTimeoutSeconds <= 0)
        {
            throw new InvalidDataException("inactivityTimeoutSeconds: must be positive");
        }

        Network.HostNatConfig.Validate(PortMapping, NatDiscovery);
    }

    /// <summary>
    /// Reads the long-term key from <see cref="KeyFile"/> (relative to <paramref name="configDirectory"/>),
    /// creating it (owner-only on Unix) when it does not exist.
    /// </summary>
    public SessionPrivateKey LoadOrCreateKey(string configDirectory, out bool created)
    {
        string path = Path.GetFullPath(KeyFile, configDirectory);
        if (File.Exists(path))
        {
            created = false;
            return SessionPrivateKey.TryParse(File.ReadAllText(path).Trim(), out SessionPrivateKey? key)
                ? key!
                : throw new InvalidDataException($"keyFile: {path} does not hold a session private key");
        }

        SessionPrivateKey fresh = SessionPrivateKey.Generate();
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var writer = new StreamWriter(path, System.Text.Encoding.ASCII, options))
        {
            writer.WriteLine(fresh.Export());
        }

        created = true;
        return fresh;
    }

    /// <summary>
    /// Options of the proxy's broker client; <paramref name="key"/> is its identity (not owned). With
    /// <paramref name="personal"/> the brokers are the compartment's rendezvous order (<see cref="PersonalBrokers"/>),
    /// the same its clients walk.
    /// </summary>
    public BrokerClientOptions ToBrokerClientOptions(SessionPrivateKey key, ILoggerFactory? loggerFactory = null, bool personal = false) => new()
    {
        Brokers = personal && PairingString.TryDecode(PersonalPairing, out Protocol.Id32 id)
            ? PersonalBrokers.Order(Brokers.Select(b => b.ToSpec()).ToArray(), id)
            : Brokers.Select(b => b.ToSpec()).ToArray(),
        PrivateKey = key,
        LoggerFactory = loggerFactory,
    };

    /// <summary>
    /// Options of one announcing loop per kind of slot configured (common, then personal), over <paramref name="brokers"/>
    /// (shared, not owned) — the personal loop over <paramref name="personalBrokers"/> when given (the rendezvous order,
    /// same key) — so both kinds run under the same proxy ID.
    /// </summary>
    public IReadOnlyList<ProxyOptions> ToProxyOptions(BrokerClient brokers, ILoggerFactory? loggerFactory = null, Network.HostNat? nat = null, BrokerClient? personalBrokers = null)
    {
        Protocol.Id32? personal = PairingString.TryDecode(PersonalPairing, out Protocol.Id32 id) ? id : null;
        var loops = new List<ProxyOptions>();
        if (CommonSlots > 0)
        {
            loops.Add(Options(brokers, null, CommonSlots, 0, loggerFactory, nat));
        }

        if (personal is not null && PersonalSlots > 0)
        {
            loops.Add(Options(personalBrokers ?? brokers, personal, 0, PersonalSlots, loggerFactory, nat));
        }

        return loops;
    }

    /// <summary>The host NAT state this file asks for (port mapping, discovery; either may be off). The caller owns it.</summary>
    public Network.HostNat CreateHostNat(ILoggerFactory? loggerFactory = null) =>
        new(Network.HostNatConfig.ToOptions(PortMapping, NatDiscovery, Config.EmbeddedConfig.Default.NatDiscoveryStunServers, loggerFactory));

    private ProxyOptions Options(BrokerClient brokers, Protocol.Id32? personal, int common, int personalSlots, ILoggerFactory? loggerFactory, Network.HostNat? nat) => new()
    {
        Nat = nat,
        Brokers = brokers,
        MaxCommonClients = common,
        MaxPersonalClients = personalSlots,
        PersonalCompartmentId = personal,
        LimitUpstreamBytesPerSecond = LimitUpstreamBytesPerSecond,
        LimitDownstreamBytesPerSecond = LimitDownstreamBytesPerSecond,
        InactivityTimeout = TimeSpan.FromSeconds(InactivityTimeoutSeconds),
        WebRtc = new RtcPeerOptions { IncludeLoopback = IncludeLoopback },
        LoggerFactory = loggerFactory,
    };
}

/// <summary>Source-generated JSON for <see cref="ProxyConfig"/>.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, ReadCommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true)]
[JsonSerializable(typeof(ProxyConfig))]
internal sealed partial class ProxyConfigJson : JsonSerializerContext;
