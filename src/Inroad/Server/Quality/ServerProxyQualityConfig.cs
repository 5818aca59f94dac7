using Inroad.Brokers;
using Inroad.Sessions.Keys;
using Microsoft.Extensions.Logging;

namespace Inroad.Server.Quality;

/// <summary>
/// <c>proxyQuality</c> in server.json (design §4.5, §9 "Proxy quality"): the brokers to report quality to (the broker
/// spec format proxies and clients use), the targets a tunnel must meet, the client regions that count, and the
/// batching settings. Off unless <see cref="Enabled"/>.
/// </summary>
internal sealed class ServerProxyQualityConfig
{
    public bool Enabled { get; set; }

    /// <summary>Every broker gets every report.</summary>
    public List<BrokerSpecConfig> Brokers { get; set; } = [];

    public long TargetUpstreamBytes { get; set; }

    public long TargetDownstreamBytes { get; set; }

    public double TargetDurationSeconds { get; set; }

    /// <summary>Two-letter client countries whose tunnels count; empty counts every client.</summary>
    public List<string> ClientRegions { get; set; } = [];

    /// <summary>Proxy keys waiting at most (≈ 290 bytes each); beyond that new keys are dropped.</summary>
    public int MaxQueuedKeys { get; set; } = 5_000_000;

    public int MaxRequestEntries { get; set; } = 1_000;

    public double RequestDelaySeconds { get; set; } = 10;

    public double RequestTimeoutSeconds { get; set; } = 10;

    public int RequestRetries { get; set; } = 2;

    /// <summary>
    /// The reporter's options, or null when off; throws <see cref="FormatException"/> whose message names the bad
    /// field (<c>proxyQuality.brokers[0].endpoint: …</c>).
    /// </summary>
    /// <param name="privateKey">The server's session key (brokers know the server by it).</param>
    /// <param name="loggerFactory">Loggers.</param>
    public ProxyQualityReporterOptions? ToOptions(SessionPrivateKey privateKey, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(privateKey);
        if (!Enabled)
        {
            return null;
        }

        IReadOnlyList<BrokerSpec> brokers;
        try
        {
            brokers = BrokerSpecConfig.ToSpecs(Brokers, "brokers");
        }
        catch (FormatException e)
        {
            throw new FormatException($"proxyQuality.{e.Message}", e);
        }

        var options = new ProxyQualityReporterOptions
        {
            Brokers = brokers,
            PrivateKey = privateKey,
            TargetUpstreamBytes = TargetUpstreamBytes,
            TargetDownstreamBytes = TargetDownstreamBytes,
            TargetDuration = Seconds(TargetDurationSeconds, "targetDurationSeconds"),
            ClientRegions = [.. (ClientRegions ?? []).Select(r => r?.ToUpperInvariant() ?? "")],
            MaxQueuedKeys = MaxQueuedKeys,
            MaxRequestEntries = MaxRequestEntries,
            RequestDelay = Seconds(RequestDelaySeconds, "requestDelaySeconds"),
            RequestTimeout = Seconds(RequestTimeoutSeconds, "requestTimeoutSeconds"),
            RequestRetries = RequestRetries,
            LoggerFactory = loggerFactory,
        };
        try
        {
            options.Validate();
        }
        catch (ArgumentException e)
        {
            string reason = e.Message.Split(" (Parameter", 2)[0];
            throw new FormatException($"proxyQuality.{JsonName(e.ParamName)}: {reason}", e);
        }

        return options;
    }

    private static TimeSpan Seconds(double seconds, string field) =>
        double.IsFinite(seconds) && Math.Abs(seconds) < TimeSpan.MaxValue.TotalSeconds
            ? TimeSpan.FromSeconds(seconds)
            : throw new FormatException($"proxyQuality.{field}: not a number of seconds");

    // Option property → server.json field.
    private static string JsonName(string? property) => property switch
    {
        nameof(ProxyQualityReporterOptions.TargetDuration) => "targetDurationSeconds",
        nameof(ProxyQualityReporterOptions.RequestDelay) => "requestDelaySeconds",
        nameof(ProxyQualityReporterOptions.RequestTimeout) => "requestTimeoutSeconds",
        null or "" => "?",
        _ => char.ToLowerInvariant(property[0]) + property[1..],
    };
}
