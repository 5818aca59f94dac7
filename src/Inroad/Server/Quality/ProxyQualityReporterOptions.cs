using Inroad.Brokers;
using Inroad.Protocol.Messages;
using Inroad.Sessions.Keys;
using Microsoft.Extensions.Logging;

namespace Inroad.Server.Quality;

/// <summary>Options of <see cref="ProxyQualityReporter"/> (design §4.5, §9 "Proxy quality").</summary>
internal sealed class ProxyQualityReporterOptions
{
    /// <summary>Brokers every request goes to (each gets the same request). At least one.</summary>
    public IReadOnlyList<BrokerSpec> Brokers { get; set; } = [];

    /// <summary>
    /// The server's session private key: brokers accept reports only from the session key of a server entry they
    /// validated in a client offer. Required unless <see cref="Send"/> is set; not disposed by the reporter.
    /// </summary>
    public SessionPrivateKey? PrivateKey { get; set; }

    /// <summary>How requests reach a broker. Defaults to a <see cref="BrokerClient"/> of the reporter's own (tests inject a fake).</summary>
    public ProxyQualitySend? Send { get; set; }

    /// <summary>Client → server bytes after the handshake a tunnel needs. Defaults to 0 (design).</summary>
    public long TargetUpstreamBytes { get; set; }

    /// <summary>Server → client bytes after the handshake a tunnel needs. Defaults to 0 (design).</summary>
    public long TargetDownstreamBytes { get; set; }

    /// <summary>Time after the handshake a tunnel needs. Defaults to 0 (design): every verified tunnel qualifies.</summary>
    public TimeSpan TargetDuration { get; set; }

    /// <summary>Client countries (two letters) whose tunnels count; empty (the default) counts every client.</summary>
    public IReadOnlyCollection<string> ClientRegions { get; set; } = [];

    /// <summary>
    /// Distinct proxy keys waiting to be sent; a new key beyond this is dropped and counted. Defaults to 5,000,000
    /// (design), a bound on memory when brokers are unreachable: ≈ 290 bytes allocated per key with one client ASN
    /// (<c>ProxyQualityQueueBenchmarks</c>), so up to ≈ 1.4 GB when full.
    /// </summary>
    public int MaxQueuedKeys { get; set; } = 5_000_000;

    /// <summary>Proxy keys per request. Defaults to 1,000 (design); the broker takes at most 10,000.</summary>
    public int MaxRequestEntries { get; set; } = 1_000;

    /// <summary>Client ASNs kept per queued proxy key; further ones are dropped and counted. Defaults to 100.</summary>
    public int MaxClientAsnsPerKey { get; set; } = 100;

    /// <summary>
    /// How long the first key of a batch waits for others before the request goes out. Defaults to 10 s (design):
    /// one request per busy interval instead of one per tunnel.
    /// </summary>
    public TimeSpan RequestDelay { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Time one request to one broker may take. Defaults to 10 s (design).</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Further attempts after a failed request to a broker; then the batch is given up for it. Defaults to 2 (design).</summary>
    public int RequestRetries { get; set; } = 2;

    /// <summary>
    /// Batches waiting per broker. A healthy broker's full lane holds the queue back; a failing broker's full lane
    /// gives further batches up for that broker only. Defaults to 10 (≤ 480 KiB per broker).
    /// </summary>
    public int MaxPendingRequestsPerBroker { get; set; } = 10;

    /// <summary>How long disposal may spend sending what is still queued. Defaults to 10 s.</summary>
    public TimeSpan FlushTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How often a running tunnel that has not yet qualified is checked again. Defaults to 10 s.</summary>
    public TimeSpan CheckInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Clock for the batching delay and timeouts. Defaults to the system clock.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Loggers (category <c>Inroad.Server.Quality</c>). Defaults to none.</summary>
    public ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>Throws naming the first bad property.</summary>
    public void Validate()
    {
        if (Brokers is null || Brokers.Count == 0 || Brokers.Any(b => b is null))
        {
            throw new ArgumentException("At least one broker is required.", nameof(Brokers));
        }

        if (Send is null && PrivateKey is null)
        {
            throw new ArgumentNullException(nameof(PrivateKey), "The server's session key is required to reach brokers.");
        }

        ArgumentNullException.ThrowIfNull(ClientRegions, nameof(ClientRegions));
        ArgumentNullException.ThrowIfNull(TimeProvider, nameof(TimeProvider));
        if (ClientRegions.Any(r => r is not { Length: 2 } || !char.IsAsciiLetterUpper(r[0]) || !char.IsAsciiLetterUpper(r[1])))
        {
            throw new ArgumentException("Client regions are two-letter country codes (upper case).", nameof(ClientRegions));
        }

        foreach ((long value, string name) in new[] { (TargetUpstreamBytes, nameof(TargetUpstreamBytes)), (TargetDownstreamBytes, nameof(TargetDownstreamBytes)), ((long)RequestRetries, nameof(RequestRetries)) })
        {
            if (value < 0)
            {
                throw new ArgumentOutOfRangeException(name, value, "Must not be negative.");
            }
        }

        if (TargetDuration < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(TargetDuration), TargetDuration, "Must not be negative.");
        }

        foreach ((int value, string name) in new[] { (MaxQueuedKeys, nameof(MaxQueuedKeys)), (MaxClientAsnsPerKey, nameof(MaxClientAsnsPerKey)), (MaxPendingRequestsPerBroker, nameof(MaxPendingRequestsPerBroker)) })
        {
            if (value <= 0)
            {
                throw new ArgumentOutOfRangeException(name, value, "Must be positive.");
            }
        }

        if (MaxRequestEntries is <= 0 or > ServerProxyQualityRequest.MaxEntries)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxRequestEntries), MaxRequestEntries, $"Must be within 1..{ServerProxyQualityRequest.MaxEntries} (what brokers read).");
        }

        if (MaxClientAsnsPerKey > ServerProxyQualityRequest.MaxClientAsns)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxClientAsnsPerKey), MaxClientAsnsPerKey, $"Must be at most {ServerProxyQualityRequest.MaxClientAsns} (what brokers read).");
        }

        foreach ((TimeSpan value, string name) in new[] { (RequestDelay, nameof(RequestDelay)), (RequestTimeout, nameof(RequestTimeout)), (FlushTimeout, nameof(FlushTimeout)), (CheckInterval, nameof(CheckInterval)) })
        {
            if (value <= TimeSpan.Zero)
            {
                throw new ArgumentOutOfRangeException(name, value, "Must be positive.");
            }
        }
    }
}
