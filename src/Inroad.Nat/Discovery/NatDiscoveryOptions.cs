using System.Net;
using Inroad.Nat.PortMapping;
using Microsoft.Extensions.Logging;

namespace Inroad.Nat.Discovery;

/// <summary>Settings of <see cref="NatDiscovery"/>. Checked by <see cref="Validate"/> before any I/O.</summary>
public sealed class NatDiscoveryOptions
{
    /// <summary>The RFC 5780 STUN server (primary address and port). Required.</summary>
    public IPEndPoint? Server { get; set; }

    /// <summary>Local address to bind both test sockets to. Defaults to any (0.0.0.0).</summary>
    public IPAddress LocalAddress { get; set; } = IPAddress.Any;

    /// <summary>Time allowed for one STUN round trip (with its retransmissions). Defaults to 2 s (design §7).</summary>
    public TimeSpan RoundTripTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Time allowed for the whole discovery. Defaults to 10 s (design §7).</summary>
    public TimeSpan OverallTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Creates the two UDP sockets. Defaults to ordinary sockets.</summary>
    public SocketFactory SocketFactory { get; set; } = static (f, t, p) => new System.Net.Sockets.Socket(f, t, p);

    /// <summary>Clock for round-trip times. Defaults to the system clock.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Logger factory. Defaults to null (no logging).</summary>
    public ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>Throws naming the first bad property.</summary>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(Server);
        if (RoundTripTimeout < TimeSpan.FromMilliseconds(100) || RoundTripTimeout > TimeSpan.FromSeconds(10))
        {
            throw new ArgumentOutOfRangeException(nameof(RoundTripTimeout), RoundTripTimeout, "RoundTripTimeout must be within 100 ms..10 s.");
        }

        if (OverallTimeout < RoundTripTimeout || OverallTimeout > TimeSpan.FromMinutes(1))
        {
            throw new ArgumentOutOfRangeException(nameof(OverallTimeout), OverallTimeout, "OverallTimeout must be within RoundTripTimeout..1 min.");
        }

        ArgumentNullException.ThrowIfNull(SocketFactory);
        ArgumentNullException.ThrowIfNull(TimeProvider);
    }
}
