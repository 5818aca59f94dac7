using Microsoft.Extensions.Logging;

namespace Inroad.Demo;

/// <summary>Options of <see cref="DemoNetwork"/>.</summary>
internal sealed class DemoNetworkOptions
{
    /// <summary>Gather loopback ICE candidates (single machine). Defaults to true.</summary>
    public bool IncludeLoopbackCandidates { get; set; } = true;

    /// <summary>Let tunnel streams reach loopback and private targets (a local web server). Defaults to true.</summary>
    public bool AllowLoopbackTargets { get; set; } = true;

    /// <summary>Loggers of every role. Defaults to none.</summary>
    public ILoggerFactory? LoggerFactory { get; set; }
}
