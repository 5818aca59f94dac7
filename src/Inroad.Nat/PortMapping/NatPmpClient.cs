using System.Net;
using Microsoft.Extensions.Logging;

namespace Inroad.Nat.PortMapping;

/// <summary>NAT-PMP (RFC 6886) client for one gateway.</summary>
internal sealed class NatPmpClient : IMappingProtocolClient
{
    private readonly GatewayUdpExchange _exchange;
    private readonly PortMapperOptions _options;
    private readonly EpochTracker _epoch;
    private IPAddress? _external;

    public NatPmpClient(PortMapperOptions options, IPAddress gateway, ILogger logger)
    {
        _options = options;
        _exchange = new GatewayUdpExchange(options, gateway, NatPmpCodec.Port, logger);
        _epoch = new EpochTracker(options.TimeProvider);
    }

    public PortMappingProtocol Protocol => PortMappingProtocol.NatPmp;

    public async Task<bool> ProbeAsync(CancellationToken ct) => await ExternalAddressAsync(ct).ConfigureAwait(false) is not null;

    public async Task<(IPEndPoint External, TimeSpan Lifetime)> MapUdpAsync(ushort internalPort, ushort preferredExternalPort, TimeSpan lifetime, CancellationToken ct)
    {
        IPAddress external = _external ?? await ExternalAddressAsync(ct).ConfigureAwait(false)
            ?? throw new NatException(NatError.NotAvailable, "NAT-PMP: the gateway does not answer.");
        byte[] request = new byte[12];
        NatPmpCodec.TryWriteMapRequest(request, udp: true, internalPort, preferredExternalPort, (uint)lifetime.TotalSeconds, out _);
        ushort refused = 0;
        byte[]? answer = await _exchange.ExchangeAsync(
            request,
            a =>
            {
                if (NatPmpCodec.TryReadHeader(a, NatPmpCodec.OpMapUdp, out ushort result, out _) && result != 0)
                {
                    refused = result;
                    return true;
                }

                return NatPmpCodec.TryReadMapResponse(a, udp: true, out NatPmpMapping m) && m.InternalPort == internalPort;
            },
            _options.ProbeTimeout,
            ct).ConfigureAwait(false);
        if (answer is null)
        {
            throw new NatException(NatError.Timeout, "NAT-PMP: no answer to the mapping request.");
        }

        if (refused != 0 || !NatPmpCodec.TryReadMapResponse(answer, udp: true, out NatPmpMapping mapping) || mapping.LifetimeSeconds == 0)
        {
            throw new NatException(NatError.Refused, $"NAT-PMP: the gateway refused the mapping (result {refused}).");
        }

        lock (_epoch)
        {
            _epoch.Observe(mapping.EpochSeconds);
        }

        return (new IPEndPoint(external, mapping.ExternalPort), TimeSpan.FromSeconds(mapping.LifetimeSeconds));
    }

    /// <summary>
    /// RFC 6886 §3.2.1/§3.6: an announced epoch that did not advance with our clock means the gateway rebooted, and
    /// a new external address means the mapping moved; either way map again. A PCP ANNOUNCE from the same box
    /// (servers that speak both, like miniupnpd, announce a restart only that way) counts as a restart.
    /// </summary>
    public bool HandleAnnouncement(GatewayAnnouncement announcement)
    {
        bool lost;
        lock (_epoch)
        {
            lost = _epoch.Observe(announcement.EpochSeconds);
        }

        if (announcement.Protocol == PortMappingProtocol.Pcp)
        {
            return true;
        }

        IPAddress? known = _external;
        if (announcement.ExternalAddress is not null && !announcement.ExternalAddress.Equals(known))
        {
            _external = announcement.ExternalAddress;
            return true;
        }

        return lost;
    }

    public async Task DeleteUdpAsync(ushort internalPort, ushort externalPort, CancellationToken ct)
    {
        byte[] request = new byte[12];
        NatPmpCodec.TryWriteMapRequest(request, udp: true, internalPort, 0, 0, out _); // §3.4: lifetime 0, external port 0
        await _exchange.ExchangeAsync(request, a => NatPmpCodec.TryReadHeader(a, NatPmpCodec.OpMapUdp, out _, out _), _options.ProbeTimeout, ct).ConfigureAwait(false);
    }

    public ValueTask DisposeAsync()
    {
        _exchange.Dispose();
        return ValueTask.CompletedTask;
    }

    private async Task<IPAddress?> ExternalAddressAsync(CancellationToken ct)
    {
        byte[] request = new byte[2];
        NatPmpCodec.TryWriteExternalAddressRequest(request, out _);
        byte[]? answer = await _exchange.ExchangeAsync(request, a => NatPmpCodec.TryReadExternalAddressResponse(a, out _), _options.ProbeTimeout, ct).ConfigureAwait(false);
        if (answer is not null && NatPmpCodec.TryReadExternalAddressResponse(answer, out NatPmpExternalAddress ext))
        {
            _external = ext.Address;
        }

        return _external;
    }
}
