using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Inroad.Nat.PortMapping;

/// <summary>
/// Finds which port-mapping protocols the default gateway speaks (PCP, NAT-PMP, UPnP-IGD, probed at once) and
/// maps UDP ports with the best one. Each mapping gets its own protocol client, so leases are independent.
/// </summary>
public sealed partial class PortMapper
{
    private readonly PortMapperOptions _options;
    private readonly ILogger _logger;
    private readonly object _gate = new();
    private readonly List<PortMappingLease> _leases = []; // guarded by _gate
    private GatewayAnnouncementListener? _listener; // guarded by _gate

    /// <summary>Creates a mapper; validates <paramref name="options"/>.</summary>
    public PortMapper(PortMapperOptions? options = null)
    {
        _options = options ?? new PortMapperOptions();
        _options.Validate();
        _logger = _options.LoggerFactory?.CreateLogger("Inroad.Nat.PortMapping") ?? NullLogger.Instance;
    }

    /// <summary>The gateway in use (configured or from the routing table), or null.</summary>
    public IPAddress? Gateway => _options.Gateway ?? DefaultGateway.Find();

    /// <summary>Asks the gateway every enabled protocol concurrently; never throws on network trouble.</summary>
    public async Task<PortMappingProbeResult> ProbeAsync(CancellationToken ct = default)
    {
        IPAddress? gateway = Gateway;
        if (gateway is null)
        {
            return new PortMappingProbeResult(null, []);
        }

        PortMappingProtocol[] order = [PortMappingProtocol.Pcp, PortMappingProtocol.NatPmp, PortMappingProtocol.UpnpIgd];
        Task<bool>[] probes = order.Select(p => ProbeOneAsync(p, gateway, ct)).ToArray();
        bool[] answers = await Task.WhenAll(probes).ConfigureAwait(false);
        return new PortMappingProbeResult(gateway, order.Where((_, i) => answers[i]).ToArray());
    }

    /// <summary>Maps <paramref name="internalPort"/> (UDP) with the first protocol that works, probing first.</summary>
    public async Task<PortMappingLease> MapUdpAsync(int internalPort, CancellationToken ct = default)
    {
        PortMappingProbeResult probe = await ProbeAsync(ct).ConfigureAwait(false);
        NatException? last = null;
        foreach (PortMappingProtocol protocol in probe.Available)
        {
            try
            {
                return await MapUdpAsync(internalPort, protocol, ct).ConfigureAwait(false);
            }
            catch (NatException ex)
            {
                last = ex;
                LogProtocolFailed(_logger, protocol, ex.Message);
            }
        }

        throw last ?? new NatException(NatError.NotAvailable, "No port-mapping protocol is available on the gateway.");
    }

    /// <summary>Maps <paramref name="internalPort"/> (UDP) with <paramref name="protocol"/>.</summary>
    public async Task<PortMappingLease> MapUdpAsync(int internalPort, PortMappingProtocol protocol, CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(internalPort, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(internalPort, 65535);
        IPAddress gateway = Gateway ?? throw new NatException(NatError.NotAvailable, "No default gateway.");
        IMappingProtocolClient client = Create(protocol, gateway);
        try
        {
            (IPEndPoint external, TimeSpan lifetime) = await client.MapUdpAsync((ushort)internalPort, (ushort)internalPort, _options.RequestedLifetime, ct).ConfigureAwait(false);
            if (!_options.AcceptNonPublicExternalAddress && !IsPublic(external.Address))
            {
                await client.DeleteUdpAsync((ushort)internalPort, (ushort)external.Port, ct).ConfigureAwait(false);
                throw new NatException(NatError.Refused, $"{protocol}: the gateway's external address {external.Address} is not public.");
            }

            LogMapped(_logger, protocol, internalPort, external, (int)lifetime.TotalSeconds);
            var lease = new PortMappingLease(client, _options, _logger, (ushort)internalPort, external, lifetime, Detach);
            Attach(lease);
            return lease;
        }
        catch
        {
            await client.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>The announcement listener while leases are live (null otherwise, or when it could not bind).</summary>
    internal GatewayAnnouncementListener? Listener
    {
        get
        {
            lock (_gate)
            {
                return _listener;
            }
        }
    }

    /// <summary>False for private (RFC 1918), CGNAT (RFC 6598), loopback, link-local, benchmark and documentation IPv4 ranges.</summary>
    internal static bool IsPublic(IPAddress address)
    {
        byte[] b = address.GetAddressBytes();
        if (b.Length != 4)
        {
            return !address.IsIPv6LinkLocal && !address.IsIPv6SiteLocal && !IPAddress.IsLoopback(address);
        }

        return !(b[0] is 0 or 10 or 127 or >= 224
            || (b[0] == 100 && b[1] >= 64 && b[1] < 128)
            || (b[0] == 169 && b[1] == 254)
            || (b[0] == 172 && b[1] >= 16 && b[1] < 32)
            || (b[0] == 192 && b[1] == 168)
            || (b[0] == 192 && b[1] == 0 && b[2] is 0 or 2)
            || (b[0] == 198 && b[1] is 18 or 19)
            || (b[0] == 198 && b[1] == 51 && b[2] == 100)
            || (b[0] == 203 && b[1] == 0 && b[2] == 113));
    }

    private async Task<bool> ProbeOneAsync(PortMappingProtocol protocol, IPAddress gateway, CancellationToken ct)
    {
        bool enabled = protocol switch
        {
            PortMappingProtocol.Pcp => _options.EnablePcp,
            PortMappingProtocol.NatPmp => _options.EnableNatPmp,
            _ => _options.EnableUpnp,
        };
        if (!enabled)
        {
            return false;
        }

        try
        {
            IMappingProtocolClient client = Create(protocol, gateway);
            await using (client.ConfigureAwait(false))
            {
                return await client.ProbeAsync(ct).ConfigureAwait(false);
            }
        }
        catch (NatException ex)
        {
            LogProtocolFailed(_logger, protocol, ex.Message);
            return false;
        }
    }

    // The listener lives while at least one lease does: it is shared by every lease of this mapper.
    private void Attach(PortMappingLease lease)
    {
        lock (_gate)
        {
            _leases.Add(lease);
            if (_listener is null && _options.ListenForAnnouncements)
            {
                _listener = GatewayAnnouncementListener.TryStart(_options, () => Gateway, OnAnnouncement, _logger);
            }
        }
    }

    private async ValueTask Detach(PortMappingLease lease)
    {
        GatewayAnnouncementListener? stop = null;
        lock (_gate)
        {
            _leases.Remove(lease);
            if (_leases.Count == 0)
            {
                stop = _listener;
                _listener = null;
            }
        }

        if (stop is not null)
        {
            await stop.DisposeAsync().ConfigureAwait(false);
        }
    }

    private void OnAnnouncement(GatewayAnnouncement announcement)
    {
        PortMappingLease[] leases;
        lock (_gate)
        {
            leases = [.. _leases];
        }

        foreach (PortMappingLease lease in leases)
        {
            lease.OnAnnouncement(announcement);
        }
    }

    private IMappingProtocolClient Create(PortMappingProtocol protocol, IPAddress gateway) => protocol switch
    {
        PortMappingProtocol.Pcp => new PcpClient(_options, gateway, _logger),
        PortMappingProtocol.NatPmp => new NatPmpClient(_options, gateway, _logger),
        PortMappingProtocol.UpnpIgd => new UpnpClient(_options, gateway, _logger),
        _ => throw new ArgumentOutOfRangeException(nameof(protocol)),
    };

    [LoggerMessage(EventId = 731, Level = LogLevel.Debug, Message = "Port mapping: {Protocol} failed: {Error}")]
    private static partial void LogProtocolFailed(ILogger logger, PortMappingProtocol protocol, string error);

    [LoggerMessage(EventId = 732, Level = LogLevel.Information, Message = "Port mapping: {Protocol} maps UDP {InternalPort} to {External} for {Lifetime} s")]
    private static partial void LogMapped(ILogger logger, PortMappingProtocol protocol, int internalPort, IPEndPoint external, int lifetime);
}
