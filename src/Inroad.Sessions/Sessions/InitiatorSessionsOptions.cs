using Inroad.Sessions.Keys;
using Microsoft.Extensions.Logging;

namespace Inroad.Sessions;

/// <summary>Options of <see cref="InitiatorSessions"/>; checked by <see cref="Validate"/> when the sessions are created.</summary>
public sealed class InitiatorSessionsOptions
{
    /// <summary>Our identity. Defaults to null, meaning a new ephemeral key (clients use one per broker client).</summary>
    public SessionPrivateKey? PrivateKey { get; set; }

    /// <summary>Timeout of each handshake packet round trip. Defaults to 10 s (design §9), bounded to 1 ms..10 min.</summary>
    public TimeSpan HandshakeTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// When a handshake with the same responder is in progress, wait for it and share the session (proxies) rather
    /// than start a concurrent one (clients, brokers). Defaults to true.
    /// </summary>
    public bool WaitToShareSession { get; set; } = true;

    /// <summary>Clock for obfuscation timestamps. Defaults to <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Logging. Defaults to none.</summary>
    public ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the bad property.</summary>
    public void Validate()
    {
        if (HandshakeTimeout < TimeSpan.FromMilliseconds(1) || HandshakeTimeout > TimeSpan.FromMinutes(10))
        {
            throw new ArgumentException($"{nameof(HandshakeTimeout)} must be between 1 ms and 10 minutes", nameof(HandshakeTimeout));
        }

        if (TimeProvider is null)
        {
            throw new ArgumentException($"{nameof(TimeProvider)} is required", nameof(TimeProvider));
        }
    }
}
