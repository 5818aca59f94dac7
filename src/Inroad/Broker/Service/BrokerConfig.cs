using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using System.Text.Json.Serialization;
using Inroad.Broker.Compartments;
using Inroad.Broker.Destinations;
using Inroad.Broker.Http;
using Inroad.Broker.Quality;
using Inroad.Geo;
using Inroad.Protocol;
using Microsoft.Extensions.Logging;

namespace Inroad.Broker.Service;

/// <summary>
/// <c>broker.json</c>: keys, compartments, GeoIP databases and the HTTP listener. Keys and secrets are
/// base64 (raw std) as <c>inroad keygen</c> prints them; compartment IDs are hex.
/// </summary>
internal sealed class BrokerConfig
{
    public string Listen { get; set; } = "127.0.0.1:8443";

    public string Path { get; set; } = "/inroad-broker";

    public string? CertificateFile { get; set; }

    public string? CertificateKeyFile { get; set; }

    public bool SelfSignedCertificate { get; set; }

    public string SessionPrivateKey { get; set; } = "";

    public string ObfuscationSecret { get; set; } = "";

    public string ServerEntrySigningPublicKey { get; set; } = "";

    public List<string> ValidServerEntryTags { get; set; } = [];

    public List<string> CommonCompartmentIds { get; set; } = [];

    public Dictionary<string, string> SponsorCompartments { get; set; } = [];

    public string? GeoIpCountryDatabase { get; set; }

    public string? GeoIpAsnDatabase { get; set; }

    public string? ForwardedForHeader { get; set; }

    public string? SecretHeaderName { get; set; }

    public string? SecretHeaderValue { get; set; }

    public bool AllowBogonCandidates { get; set; }

    public static BrokerConfig Load(string path)
    {
        using FileStream stream = File.OpenRead(path);
        return JsonSerializer.Deserialize(stream, BrokerConfigJson.Default.BrokerConfig)
            ?? throw new InvalidDataException("empty broker configuration");
    }

    /// <summary>Proxy quality reports and priority (design §4.5); off unless <c>enabled</c>.</summary>
    public ProxyQualityConfig ProxyQuality { get; set; } = new();

    /// <summary>The service options; <paramref name="loggerFactory"/> also serves the broker → server report relay.</summary>
    public BrokerServiceOptions ToServiceOptions(ILoggerFactory? loggerFactory = null)
    {
        var tags = new HashSet<string>(ValidServerEntryTags, StringComparer.Ordinal);
        return new BrokerServiceOptions
        {
            CommonCompartments = new CommonCompartments(
                CommonCompartmentIds.Select(ParseId).ToArray(),
                SponsorCompartments.ToDictionary(p => p.Key, p => ParseId(p.Value), StringComparer.Ordinal)),
            Destinations = new DestinationCheck(Convert.FromBase64String(Pad(ServerEntrySigningPublicKey)), tags.Contains),
            Geo = new MaxMindGeoLookup(GeoIpCountryDatabase, GeoIpAsnDatabase),
            AllowBogonCandidates = AllowBogonCandidates,
            Reports = new() { PrivateKey = Inroad.Sessions.Keys.SessionPrivateKey.Parse(SessionPrivateKey), LoggerFactory = loggerFactory },
            Quality = ProxyQuality.ToOptions(),
        };
    }

    public BrokerHttpHostOptions ToHostOptions() => new()
    {
        Listen = IPEndPoint.Parse(Listen),
        Path = Path,
        Certificate = LoadCertificate(),
        ForwardedForHeader = ForwardedForHeader,
        SecretHeaderName = SecretHeaderName,
        SecretHeaderValue = SecretHeaderValue,
    };

    private X509Certificate2? LoadCertificate()
    {
        if (CertificateFile is not null)
        {
            return X509Certificate2.CreateFromPemFile(CertificateFile, CertificateKeyFile);
        }

        if (!SelfSignedCertificate)
        {
            return null;
        }

        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        using X509Certificate2 cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
        return X509CertificateLoader.LoadPkcs12(cert.Export(X509ContentType.Pkcs12), null);
    }

    private static Id32 ParseId(string hex) => Id32.From(Convert.FromHexString(hex));

    private static string Pad(string base64) => base64.PadRight(base64.Length + ((4 - (base64.Length % 4)) % 4), '=');
}

/// <summary><c>proxyQuality</c> in broker.json: the design's tactics for quality and priority (§4.5, §9).</summary>
internal sealed class ProxyQualityConfig
{
    public bool Enabled { get; set; }

    public double TtlHours { get; set; } = 24;

    public int MaxEntries { get; set; } = 1_000_000;

    public Dictionary<string, string[]> PrioritizeFilter { get; set; } = [];

    public int PrioritizeMinVersion { get; set; }

    public double PrioritizeProbability { get; set; } = 1.0;

    public ProxyQualityOptions ToOptions() => new()
    {
        Enabled = Enabled,
        Ttl = TimeSpan.FromHours(TtlHours),
        MaxEntries = MaxEntries,
        PrioritizeFilter = PrioritizeFilter,
        PrioritizeMinVersion = PrioritizeMinVersion,
        PrioritizeProbability = PrioritizeProbability,
    };
}

/// <summary>Source-generated JSON for <see cref="BrokerConfig"/>.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, ReadCommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true)]
[JsonSerializable(typeof(BrokerConfig))]
internal sealed partial class BrokerConfigJson : JsonSerializerContext;
