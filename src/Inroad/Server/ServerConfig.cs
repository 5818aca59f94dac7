using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization;
using Inroad.Geo;
using Inroad.Sessions.Keys;

namespace Inroad.Server;

/// <summary>
/// <c>server.json</c>: the in-proxy listener, the server's keys (their public halves go into its signed server
/// entry), the brokers whose reports it accepts, which targets tunnel streams may reach, and (optionally) the brokers
/// it reports proxy quality to.
/// </summary>
internal sealed class ServerConfig
{
    /// <summary>The in-proxy TCP listener.</summary>
    public string Listen { get; set; } = "0.0.0.0:8400";

    /// <summary>The address clients name (and the server entry carries); defaults to the listener's.</summary>
    public string? PublicAddress { get; set; }

    /// <summary>The server's session private key (<c>inroad keygen --kind identity</c>).</summary>
    public string SessionPrivateKey { get; set; } = "";

    /// <summary>The server's root obfuscation secret (<c>inroad keygen --kind secret</c>).</summary>
    public string ObfuscationSecret { get; set; } = "";

    /// <summary>Session public keys of the brokers whose reports are accepted.</summary>
    public List<string> BrokerPublicKeys { get; set; } = [];

    /// <summary>Target networks allowed even though the deny list covers them (CIDR).</summary>
    public List<string> AllowTargets { get; set; } = [];

    /// <summary>Target networks denied (CIDR); null denies private, loopback and special ranges.</summary>
    public List<string>? DenyTargets { get; set; }

    public string? GeoIpCountryDatabase { get; set; }

    public string? GeoIpAsnDatabase { get; set; }

    /// <summary>Proxy quality reporting to brokers (design §4.5); absent or not enabled leaves it off.</summary>
    public Quality.ServerProxyQualityConfig? ProxyQuality { get; set; }

    /// <summary>The quality reporter's options, or null when off; throws <see cref="FormatException"/> naming the bad field.</summary>
    public Quality.ProxyQualityReporterOptions? ProxyQualityOptions(SessionPrivateKey privateKey, Microsoft.Extensions.Logging.ILoggerFactory? loggerFactory = null) =>
        ProxyQuality?.ToOptions(privateKey, loggerFactory);

    public static ServerConfig Load(string path)
    {
        using FileStream stream = File.OpenRead(path);
        return JsonSerializer.Deserialize(stream, ServerConfigJson.Default.ServerConfig)
            ?? throw new InvalidDataException("empty server configuration");
    }

    public IPEndPoint ListenEndPoint => IPEndPoint.TryParse(Listen, out IPEndPoint? e) ? e : throw new FormatException($"listen '{Listen}' is not address:port");

    public IReadOnlyList<SessionPublicKey> Brokers() =>
        BrokerPublicKeys.Count == 0
            ? throw new FormatException("brokerPublicKeys is empty: the server would accept no tunnel")
            : BrokerPublicKeys.Select(k => SessionPublicKey.TryParse(k, out SessionPublicKey? key) ? key! : throw new FormatException($"broker public key '{k}' is not valid")).ToArray();

    public TargetPolicy TargetPolicy() => new(
        AllowTargets.Select(IpNetwork.Parse),
        DenyTargets?.Select(IpNetwork.Parse));

    /// <summary>
    /// The entry clients carry for this server: its public address and in-proxy listener port, its session public key
    /// and obfuscation secret. The network signs it (<c>inroad keygen --kind server-entry</c>).
    /// </summary>
    public Broker.Destinations.ServerEntry ToServerEntry(string tag)
    {
        IPEndPoint listen = ListenEndPoint;
        string address = PublicAddress ?? (listen.Address.Equals(IPAddress.Any) || listen.Address.Equals(IPAddress.IPv6Any)
            ? throw new FormatException("publicAddress is required when listen is a wildcard address")
            : listen.Address.ToString());
        if (!IPAddress.TryParse(address, out _))
        {
            throw new FormatException($"publicAddress '{address}' is not an IP address");
        }

        using SessionPrivateKey key = Sessions.Keys.SessionPrivateKey.Parse(SessionPrivateKey);
        return new Broker.Destinations.ServerEntry
        {
            Tag = tag,
            IpAddress = address,
            SessionPublicKey = key.PublicKey.Ed25519.ToArray(),
            ObfuscationSecret = Base64Raw.TryDecode(ObfuscationSecret, Sessions.Obfuscation.ObfuscationSecret.Length, out byte[] secret)
                ? secret
                : throw new FormatException("obfuscationSecret is not a 32-byte base64 secret"),
            Capabilities = [new Broker.Destinations.InproxyCapability("INPROXY-WEBRTC-OSSH", 0, listen.Port)],
        };
    }

    public IGeoLookup Geo() => GeoIpCountryDatabase is null && GeoIpAsnDatabase is null
        ? NoGeoLookup.Instance
        : new MaxMindGeoLookup(GeoIpCountryDatabase, GeoIpAsnDatabase);
}

/// <summary>Source-generated JSON for <see cref="ServerConfig"/>.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, ReadCommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true)]
[JsonSerializable(typeof(ServerConfig))]
internal sealed partial class ServerConfigJson : JsonSerializerContext;
