using Inroad.Server;
using Inroad.Server.Quality;
using Inroad.Sessions.Keys;
using Inroad.Sessions.Obfuscation;

namespace Inroad.Tests.Server.Quality;

/// <summary><c>proxyQuality</c> in server.json: parsed into the reporter's options, every mistake named by its field.</summary>
public sealed class ServerProxyQualityConfigTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("inroad-server-").FullName;
    private readonly SessionPrivateKey _key = SessionPrivateKey.Generate();

    public void Dispose()
    {
        _key.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private ServerConfig Load(string proxyQuality)
    {
        string path = Path.Combine(_dir, "server.json");
        File.WriteAllText(path, $$"""{ "listen": "127.0.0.1:8400", "brokerPublicKeys": [ "{{_key.PublicKey}}" ] {{(proxyQuality.Length > 0 ? ", \"proxyQuality\": " + proxyQuality : "")}} }""");
        return ServerConfig.Load(path);
    }

    private static string Broker(string endpoint = "https://broker.example/inroad-broker")
    {
        using SessionPrivateKey key = SessionPrivateKey.Generate();
        return $$"""{ "endpoint": "{{endpoint}}", "publicKey": "{{key.PublicKey}}", "obfuscationSecret": "{{ObfuscationSecret.Generate().Export()}}" }""";
    }

    [Fact]
    public void Absent_or_switched_off_leaves_quality_reporting_off()
    {
        Assert.Null(Load("").ProxyQualityOptions(_key));
        Assert.Null(Load($$"""{ "brokers": [ {{Broker()}} ] }""").ProxyQualityOptions(_key));
    }

    [Fact]
    public void An_enabled_section_gives_the_reporter_its_brokers_targets_regions_and_batching()
    {
        ProxyQualityReporterOptions? options = Load($$"""
            {
              "enabled": true,
              "brokers": [ {{Broker()}}, {{Broker("http://127.0.0.1:9/b")}} ],
              "targetUpstreamBytes": 1000, "targetDownstreamBytes": 20000, "targetDurationSeconds": 30,
              "clientRegions": [ "ir", "CN" ],
              "maxRequestEntries": 500, "requestDelaySeconds": 5, "requestTimeoutSeconds": 8, "requestRetries": 1, "maxQueuedKeys": 1000
            }
            """).ProxyQualityOptions(_key);
        Assert.NotNull(options);
        Assert.Equal(2, options.Brokers.Count);
        Assert.Equal(new Uri("http://127.0.0.1:9/b"), options.Brokers[1].Endpoint);
        Assert.Same(_key, options.PrivateKey);
        Assert.Equal((1000L, 20000L, TimeSpan.FromSeconds(30)), (options.TargetUpstreamBytes, options.TargetDownstreamBytes, options.TargetDuration));
        Assert.Equal(["IR", "CN"], options.ClientRegions);
        Assert.Equal((500, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(8), 1, 1000), (options.MaxRequestEntries, options.RequestDelay, options.RequestTimeout, options.RequestRetries, options.MaxQueuedKeys));

        ProxyQualityReporterOptions defaults = Load($$"""{ "enabled": true, "brokers": [ {{Broker()}} ] }""").ProxyQualityOptions(_key)!;
        Assert.Equal((0L, 0L, TimeSpan.Zero), (defaults.TargetUpstreamBytes, defaults.TargetDownstreamBytes, defaults.TargetDuration));
        Assert.Equal((1000, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(10), 2, 5_000_000), (defaults.MaxRequestEntries, defaults.RequestDelay, defaults.RequestTimeout, defaults.RequestRetries, defaults.MaxQueuedKeys));
        Assert.Empty(defaults.ClientRegions);
    }

    [Theory]
    [InlineData("""{ "enabled": true }""", "proxyQuality.brokers: at least one broker is required")]
    [InlineData("""{ "enabled": true, "brokers": [ { "endpoint": "ftp://x", "publicKey": "", "obfuscationSecret": "" } ] }""", "proxyQuality.brokers[0].endpoint:")]
    [InlineData("""{ "enabled": true, "brokers": [ BROKER ], "clientRegions": [ "IRN" ] }""", "proxyQuality.clientRegions:")]
    [InlineData("""{ "enabled": true, "brokers": [ BROKER ], "maxRequestEntries": 20000 }""", "proxyQuality.maxRequestEntries:")]
    [InlineData("""{ "enabled": true, "brokers": [ BROKER ], "requestDelaySeconds": 0 }""", "proxyQuality.requestDelaySeconds:")]
    [InlineData("""{ "enabled": true, "brokers": [ BROKER ], "targetDurationSeconds": -1 }""", "proxyQuality.targetDurationSeconds:")]
    [InlineData("""{ "enabled": true, "brokers": [ BROKER ], "targetUpstreamBytes": -1 }""", "proxyQuality.targetUpstreamBytes:")]
    [InlineData("""{ "enabled": true, "brokers": [ BROKER ], "requestRetries": -1 }""", "proxyQuality.requestRetries:")]
    public void A_bad_section_is_refused_naming_the_field(string section, string message)
    {
        ServerConfig config = Load(section.Replace("BROKER", Broker(), StringComparison.Ordinal));
        FormatException e = Assert.Throws<FormatException>(() => config.ProxyQualityOptions(_key));
        Assert.StartsWith(message, e.Message, StringComparison.Ordinal);
    }
}
