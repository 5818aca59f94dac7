using Inroad.Server.Quality;
using Microsoft.Extensions.Logging;

namespace Inroad.Demo;

/// <summary>Options of <see cref="DemoNetwork"/>.</summary>
internal sealed class DemoNetworkOptions
{
    /// <summary>Gather loopback ICE candidates (single machine). Defaults to true.</summary>
    public bool IncludeLoopbackCandidates { get; set; } = true;

    /// <summary>Let tunnel streams reach loopback and private targets (a local web server). Defaults to true.</summary>
    public bool AllowLoopbackTargets { get; set; } = true;

    /// <summary>
    /// Proxy quality (design §4.5): null (the default) leaves it off; set, the broker takes quality reports and
    /// prioritises every proxy with quality, and the tunnel server reports with these settings (the demo fills in
    /// <see cref="ProxyQualityReporterOptions.Brokers"/> and <see cref="ProxyQualityReporterOptions.PrivateKey"/>).
    /// </summary>
    public ProxyQualityReporterOptions? ProxyQuality { get; set; }

    /// <summary>How long the broker holds a proxy's announcement. Defaults to the broker's 2 minutes.</summary>
    public TimeSpan ProxyAnnounceTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Loggers of every role. Defaults to none.</summary>
    public ILoggerFactory? LoggerFactory { get; set; }
}
