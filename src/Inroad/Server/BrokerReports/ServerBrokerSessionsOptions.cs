using Inroad.Sessions;
using Inroad.Sessions.Keys;
using Inroad.Sessions.Obfuscation;
using Microsoft.Extensions.Logging;

namespace Inroad.Server.BrokerReports;

/// <summary>Options of <see cref="ServerBrokerSessions"/>; checked by <see cref="Validate"/> when the sessions are created.</summary>
internal sealed class ServerBrokerSessionsOptions
{
    /// <summary>The tunnel server's session key (its public half is in the signed server entry). Required; not owned.</summary>
    public SessionPrivateKey? PrivateKey { get; set; }

    /// <summary>The tunnel server's root obfuscation secret (also in the server entry). Required.</summary>
    public ObfuscationSecret? ObfuscationSecret { get; set; }

    /// <summary>The brokers whose reports count. Required, non-empty.</summary>
    public IReadOnlyCollection<SessionPublicKey>? Brokers { get; set; }

    /// <summary>
    /// Established broker sessions kept (least recently used evicted first; they never expire by time, design §3.1).
    /// Defaults to 10,000: brokers run concurrent handshakes, each leaving a session; a handful of brokers need few.
    /// </summary>
    public int MaxSessions { get; set; } = 10_000;

    /// <summary>
    /// Obfuscation nonces remembered per replay filter. Defaults to 1,000,000 (two filters of ~1.8 MB): a server sees
    /// one to three broker packets per tunnel, far fewer than a broker sees.
    /// </summary>
    public long ReplayHistoryCapacity { get; set; } = 1_000_000;

    /// <summary>Clock. Defaults to <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Logging. Defaults to none.</summary>
    public ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the bad property.</summary>
    public void Validate()
    {
        if (Brokers is null || Brokers.Count == 0 || Brokers.Any(b => b is null))
        {
            throw new ArgumentException($"{nameof(Brokers)} must list at least one broker key", nameof(Brokers));
        }

        ToResponderOptions().Validate();
    }

    /// <summary>The responder sessions these options describe: only the brokers may finish a handshake, and sessions never expire by time.</summary>
    internal ResponderSessionsOptions ToResponderOptions() => new()
    {
        PrivateKey = PrivateKey,
        ObfuscationSecret = ObfuscationSecret,
        KnownInitiators = Brokers,
        SessionTtl = Timeout.InfiniteTimeSpan,
        MaxSessions = MaxSessions,
        ReplayHistoryCapacity = ReplayHistoryCapacity,
        TimeProvider = TimeProvider,
        LoggerFactory = LoggerFactory,
    };
}
