using Microsoft.Extensions.Logging;

namespace Inroad.Client.Tunnel;

/// <summary>Options of <see cref="TunnelKeeper"/>.</summary>
internal sealed class TunnelKeeperOptions
{
    /// <summary>Dials a new path through a proxy (the in-proxy dialer with its own retries). Required.</summary>
    public Func<CancellationToken, Task<IInproxyTransport>>? Dial { get; set; }

    /// <summary>The tunnel server's identity (from its server entry). Required.</summary>
    public ServerIdentity? Server { get; set; }

    /// <summary>Limit for the secure and API handshakes after a dial. Defaults to 30 s.</summary>
    public TimeSpan HandshakeTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>First wait after a failure; doubles per consecutive failure. Defaults to 500 ms.</summary>
    public TimeSpan RedialDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Longest wait between attempts. Defaults to 15 s.</summary>
    public TimeSpan MaxRedialDelay { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How long a local connection waits for a tunnel before it is refused. Defaults to 60 s.</summary>
    public TimeSpan StreamWaitTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Clock. Defaults to the system clock.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Loggers. Defaults to none.</summary>
    public ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>Throws naming the first bad property.</summary>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(Dial, nameof(Dial));
        ArgumentNullException.ThrowIfNull(Server, nameof(Server));
        if (HandshakeTimeout <= TimeSpan.Zero || RedialDelay <= TimeSpan.Zero || MaxRedialDelay < RedialDelay || StreamWaitTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(HandshakeTimeout), "Timeouts and delays must be positive, and MaxRedialDelay ≥ RedialDelay.");
        }
    }
}
