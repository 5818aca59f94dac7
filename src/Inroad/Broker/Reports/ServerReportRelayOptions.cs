using Inroad.Sessions.Keys;
using Microsoft.Extensions.Logging;

namespace Inroad.Broker.Reports;

/// <summary>Options of <see cref="ServerReportRelay"/>; checked by <see cref="Validate"/> when the relay is created.</summary>
internal sealed class ServerReportRelayOptions
{
    /// <summary>
    /// The broker's session key, the same one it answers proxies and clients with: tunnel servers allow-list it.
    /// Defaults to null, meaning an ephemeral key (tests; no server will accept its reports).
    /// </summary>
    public SessionPrivateKey? PrivateKey { get; set; }

    /// <summary>Relays waiting for the client, keyed by connection ID. Defaults to 100,000 (design §5).</summary>
    public int MaxPending { get; set; } = 100_000;

    /// <summary>Lifetime of a pending relay from the match. Defaults to 60 s (design §5).</summary>
    public TimeSpan PendingTtl { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>ClientRelayedPacket requests served per connection; later ones end the relay. Defaults to 10 (design §5).</summary>
    public int MaxRelayRoundTrips { get; set; } = 10;

    /// <summary>
    /// How long the broker waits for the client to bring the server's answer to a handshake packet. Defaults to
    /// 30 s: the client relays inside its tunnel handshake; below <see cref="PendingTtl"/> so a relay never outlives its entry.
    /// </summary>
    public TimeSpan StepTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Clock. Defaults to <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Logging. Defaults to none.</summary>
    public ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the bad property.</summary>
    public void Validate()
    {
        if (MaxPending is < 1 or > 10_000_000)
        {
            throw new ArgumentException($"{nameof(MaxPending)} must be between 1 and 10,000,000", nameof(MaxPending));
        }

        if (PendingTtl <= TimeSpan.Zero || PendingTtl > TimeSpan.FromHours(1))
        {
            throw new ArgumentException($"{nameof(PendingTtl)} must be positive and at most 1 hour", nameof(PendingTtl));
        }

        if (MaxRelayRoundTrips is < 1 or > 100)
        {
            throw new ArgumentException($"{nameof(MaxRelayRoundTrips)} must be between 1 and 100", nameof(MaxRelayRoundTrips));
        }

        if (StepTimeout < TimeSpan.FromMilliseconds(1) || StepTimeout > PendingTtl)
        {
            throw new ArgumentException($"{nameof(StepTimeout)} must be positive and at most {nameof(PendingTtl)}", nameof(StepTimeout));
        }

        if (TimeProvider is null)
        {
            throw new ArgumentException($"{nameof(TimeProvider)} is required", nameof(TimeProvider));
        }
    }
}
