using Inroad.Sessions.Keys;
using Microsoft.Extensions.Logging;

namespace Inroad.Brokers;

/// <summary>Options of <see cref="BrokerClient"/>.</summary>
internal sealed class BrokerClientOptions
{
    /// <summary>Brokers in the order to try them; at least one. <see cref="BrokerClient.Rotate"/> walks the list.</summary>
    public IReadOnlyList<BrokerSpec> Brokers { get; set; } = [];

    /// <summary>Our long-term identity (a proxy's ID); null makes an ephemeral one (clients). Not disposed by the client.</summary>
    public SessionPrivateKey? PrivateKey { get; set; }

    /// <summary>Clock. Defaults to the system clock.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Loggers. Defaults to none.</summary>
    public ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>Throws naming the first bad property.</summary>
    public void Validate()
    {
        if (Brokers is null || Brokers.Count == 0)
        {
            throw new ArgumentException("At least one broker is required.", nameof(Brokers));
        }
    }
}
