using System.Text.Json;
using System.Text.Json.Serialization;

namespace Inroad.Config;

/// <summary>
/// The defaults compiled into inroad (<c>Config/embedded.json</c>): STUN servers, and the demo's single-machine
/// settings. Configuration files override them.
/// </summary>
internal sealed class EmbeddedConfig
{
    private static readonly Lazy<EmbeddedConfig> Loaded = new(Load);

    /// <summary>The compiled-in defaults.</summary>
    public static EmbeddedConfig Default => Loaded.Value;

    /// <summary>STUN servers (host:port) for server-reflexive candidates.</summary>
    public List<string> StunServers { get; set; } = [];

    /// <summary>RFC 5780-capable STUN servers (host:port) for NAT type discovery.</summary>
    public List<string> NatDiscoveryStunServers { get; set; } = [];

    /// <summary>What <c>inroad demo</c> starts.</summary>
    public DemoSettings Demo { get; set; } = new();

    private static EmbeddedConfig Load()
    {
        using Stream stream = typeof(EmbeddedConfig).Assembly.GetManifestResourceStream("Inroad.Config.embedded.json")
            ?? throw new InvalidOperationException("the embedded configuration is missing from the build");
        return JsonSerializer.Deserialize(stream, EmbeddedConfigJson.Default.EmbeddedConfig)
            ?? throw new InvalidDataException("the embedded configuration is empty");
    }
}

/// <summary>The demo's settings.</summary>
internal sealed class DemoSettings
{
    public int Proxies { get; set; } = 2;

    public int MaxCommonClientsPerProxy { get; set; } = 3;

    public bool IncludeLoopbackCandidates { get; set; } = true;

    public bool AllowLoopbackTargets { get; set; } = true;

    public bool ProxyQuality { get; set; }
}

/// <summary>Source-generated JSON for <see cref="EmbeddedConfig"/>.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, ReadCommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true)]
[JsonSerializable(typeof(EmbeddedConfig))]
internal sealed partial class EmbeddedConfigJson : JsonSerializerContext;
