using Inroad.Sessions.Keys;
using Inroad.Sessions.Obfuscation;
using Microsoft.Extensions.Logging;

namespace Inroad.Sessions;

/// <summary>Options of <see cref="ResponderSessions"/>; checked by <see cref="Validate"/> when the sessions are created.</summary>
public sealed class ResponderSessionsOptions
{
    /// <summary>Our long-term identity. Required.</summary>
    public SessionPrivateKey? PrivateKey { get; set; }

    /// <summary>Our root obfuscation secret. Required.</summary>
    public ObfuscationSecret? ObfuscationSecret { get; set; }

    /// <summary>Established sessions kept (least recently used evicted first). Defaults to 1,000,000 (design §3.1).</summary>
    public int MaxSessions { get; set; } = 1_000_000;

    /// <summary>
    /// Idle lifetime of an established session, extended by each request. Defaults to 24 h (design §3.1);
    /// <see cref="Timeout.InfiniteTimeSpan"/> keeps sessions until evicted (the server's allow-list case).
    /// </summary>
    public TimeSpan SessionTtl { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Handshakes awaiting message 3 at once; more are refused. Defaults to 32,768 (design §3.1).</summary>
    public int MaxConcurrentHandshakes { get; set; } = 32_768;

    /// <summary>How long a half-done handshake waits for message 3. Defaults to 1 minute (handshake timeout 10 s, plus request delay).</summary>
    public TimeSpan HandshakeTtl { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// When set, only these initiators may complete a handshake (a tunnel server accepting only brokers);
    /// sessions never expire by time then unless <see cref="SessionTtl"/> says so. Defaults to null: anyone.
    /// </summary>
    public IReadOnlyCollection<SessionPublicKey>? KnownInitiators { get; set; }

    /// <summary>Obfuscation nonces remembered per replay filter. Defaults to 10,000,000 (two filters of ~18 MB).</summary>
    public long ReplayHistoryCapacity { get; set; } = 10_000_000;

    /// <summary>Replay filter rotation period; timestamps are accepted within ±half of it. Defaults to 10 minutes.</summary>
    public TimeSpan ReplayHistoryPeriod { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Clock. Defaults to <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Logging. Defaults to none.</summary>
    public ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the bad property.</summary>
    public void Validate()
    {
        if (PrivateKey is null)
        {
            throw new ArgumentException($"{nameof(PrivateKey)} is required", nameof(PrivateKey));
        }

        if (ObfuscationSecret is null)
        {
            throw new ArgumentException($"{nameof(ObfuscationSecret)} is required", nameof(ObfuscationSecret));
        }

        if (MaxSessions is < 1 or > 100_000_000)
        {
            throw new ArgumentException($"{nameof(MaxSessions)} must be between 1 and 100,000,000", nameof(MaxSessions));
        }

        if (MaxConcurrentHandshakes is < 1 or > 10_000_000)
        {
            throw new ArgumentException($"{nameof(MaxConcurrentHandshakes)} must be between 1 and 10,000,000", nameof(MaxConcurrentHandshakes));
        }

        if (SessionTtl != Timeout.InfiniteTimeSpan && SessionTtl <= TimeSpan.Zero)
        {
            throw new ArgumentException($"{nameof(SessionTtl)} must be positive or infinite", nameof(SessionTtl));
        }

        if (HandshakeTtl <= TimeSpan.Zero || HandshakeTtl > TimeSpan.FromHours(1))
        {
            throw new ArgumentException($"{nameof(HandshakeTtl)} must be positive and at most 1 hour", nameof(HandshakeTtl));
        }

        if (ReplayHistoryCapacity is < 1_000 or > 1_000_000_000)
        {
            throw new ArgumentException($"{nameof(ReplayHistoryCapacity)} must be between 1,000 and 1,000,000,000", nameof(ReplayHistoryCapacity));
        }

        if (ReplayHistoryPeriod < TimeSpan.FromSeconds(2) || ReplayHistoryPeriod > TimeSpan.FromDays(1))
        {
            throw new ArgumentException($"{nameof(ReplayHistoryPeriod)} must be between 2 s and 1 day", nameof(ReplayHistoryPeriod));
        }

        if (TimeProvider is null)
        {
            throw new ArgumentException($"{nameof(TimeProvider)} is required", nameof(TimeProvider));
        }
    }
}
