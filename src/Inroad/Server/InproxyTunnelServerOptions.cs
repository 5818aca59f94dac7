using System.Net;
using Inroad.Geo;
using Inroad.Server.BrokerReports;
using Inroad.Server.Quality;
using Inroad.Sessions.Keys;
using Inroad.Sessions.Obfuscation;
using Inroad.Sessions.Streams;
using Microsoft.Extensions.Logging;

namespace Inroad.Server;

/// <summary>Options of <see cref="InproxyTunnelServer"/>.</summary>
internal sealed class InproxyTunnelServerOptions
{
    /// <summary>The in-proxy TCP listener (proxies connect here). Defaults to 127.0.0.1 on a free port.</summary>
    public IPEndPoint Listen { get; set; } = new(IPAddress.Loopback, 0);

    /// <summary>The server's static key (its public half is in the signed server entry). Required; not disposed.</summary>
    public SessionPrivateKey? PrivateKey { get; set; }

    /// <summary>The server's root obfuscation secret (also in the server entry). Required.</summary>
    public ObfuscationSecret? ObfuscationSecret { get; set; }

    /// <summary>The broker report relay (the server's sessions with the allow-listed brokers). Required; not disposed.</summary>
    public IBrokerReportRelay? Reports { get; set; }

    /// <summary>Which targets tunnel streams may reach. Defaults to <see cref="TargetPolicy"/>'s private-ranges-denied default.</summary>
    public TargetPolicy TargetPolicy { get; set; } = new();

    /// <summary>GeoIP of the broker-reported client address, for logs. Defaults to none.</summary>
    public IGeoLookup? Geo { get; set; }

    /// <summary>Time from TCP accept to a verified broker report (covers up to ten relays through the client). Defaults to 60 s.</summary>
    public TimeSpan HandshakeTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Secure tunnel framing options. Defaults to <see cref="SecureTunnelOptions"/>' defaults.</summary>
    public SecureTunnelOptions? SecureTunnel { get; set; }

    /// <summary>Counts quality tunnels and reports their proxies to brokers (design §4.5). Defaults to none (off); not disposed.</summary>
    public ProxyQualityReporter? ProxyQuality { get; set; }

    /// <summary>Loggers (the <c>server_tunnel</c> record goes to category <c>Inroad.Server.Tunnels</c>). Defaults to none.</summary>
    public ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>Throws naming the first bad property.</summary>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(Listen, nameof(Listen));
        ArgumentNullException.ThrowIfNull(PrivateKey, nameof(PrivateKey));
        ArgumentNullException.ThrowIfNull(ObfuscationSecret, nameof(ObfuscationSecret));
        ArgumentNullException.ThrowIfNull(Reports, nameof(Reports));
        ArgumentNullException.ThrowIfNull(TargetPolicy, nameof(TargetPolicy));
        if (HandshakeTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(HandshakeTimeout), HandshakeTimeout, "Must be positive.");
        }
    }
}
