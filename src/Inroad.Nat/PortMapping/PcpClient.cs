using System.Net;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;

namespace Inroad.Nat.PortMapping;

/// <summary>
/// PCP (RFC 6887) client for one gateway. Each mapping keeps its nonce for renewals and deletion (§11.1).
/// The server's epoch is tracked (§8.5) through every answer, so that an unsolicited ANNOUNCE (§14.1.3), which
/// reaches <see cref="HandleAnnouncement"/> through the lease, is judged against it. An answer to our own MAP needs
/// no such judgement: whatever the epoch says, that MAP just (re-)created the mapping.
/// </summary>
internal sealed class PcpClient : IMappingProtocolClient
{
    private const byte Udp = 17;
    private readonly GatewayUdpExchange _exchange;
    private readonly PortMapperOptions _options;
    private readonly Dictionary<ushort, byte[]> _nonces = [];
    private readonly EpochTracker _epoch;

    public PcpClient(PortMapperOptions options, IPAddress gateway, ILogger logger)
    {
        _options = options;
        _exchange = new GatewayUdpExchange(options, gateway, PcpCodec.Port, logger);
        _epoch = new EpochTracker(options.TimeProvider);
    }

    public PortMappingProtocol Protocol => PortMappingProtocol.Pcp;

    public async Task<bool> ProbeAsync(CancellationToken ct)
    {
        byte[] request = new byte[PcpCodec.HeaderLength];
        PcpCodec.TryWriteAnnounceRequest(request, _exchange.LocalAddress, out _);
        byte[]? answer = await _exchange.ExchangeAsync(
            request,
            a => PcpCodec.TryReadResponseHeader(a, out PcpResponseHeader h) && h.Opcode == PcpCodec.OpAnnounce,
            _options.ProbeTimeout,
            ct).ConfigureAwait(false);
        if (answer is null || !PcpCodec.TryReadResponseHeader(answer, out PcpResponseHeader header))
        {
            return false;
        }

        ObserveEpoch(header.EpochSeconds);
        return header.ResultCode == PcpCodec.ResultSuccess;
    }

    public async Task<(IPEndPoint External, TimeSpan Lifetime)> MapUdpAsync(ushort internalPort, ushort preferredExternalPort, TimeSpan lifetime, CancellationToken ct)
    {
        if (!_nonces.TryGetValue(internalPort, out byte[]? nonce))
        {
            nonce = RandomNumberGenerator.GetBytes(PcpCodec.NonceLength);
            _nonces[internalPort] = nonce;
        }

        (PcpResponseHeader header, PcpMapData map) = await MapAsync(nonce, internalPort, preferredExternalPort, (uint)lifetime.TotalSeconds, ct).ConfigureAwait(false)
            ?? throw new NatException(NatError.Timeout, "PCP: no answer to the MAP request.");
        if (header.ResultCode != PcpCodec.ResultSuccess || header.LifetimeSeconds == 0)
        {
            throw new NatException(NatError.Refused, $"PCP: the server refused the mapping (result {header.ResultCode}).");
        }

        return (map.External, TimeSpan.FromSeconds(header.LifetimeSeconds));
    }

    public async Task DeleteUdpAsync(ushort internalPort, ushort externalPort, CancellationToken ct)
    {
        if (_nonces.Remove(internalPort, out byte[]? nonce))
        {
            await MapAsync(nonce, internalPort, externalPort, 0, ct).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// An unsolicited ANNOUNCE (§14.1.3) means the server restarted or lost state: map again. A NAT-PMP
    /// announcement from the same box counts only when its epoch shows a restart.
    /// </summary>
    public bool HandleAnnouncement(GatewayAnnouncement announcement)
    {
        lock (_epoch)
        {
            bool lost = _epoch.Observe(announcement.EpochSeconds);
            return announcement.Protocol == PortMappingProtocol.Pcp || lost;
        }
    }

    public ValueTask DisposeAsync()
    {
        _exchange.Dispose();
        return ValueTask.CompletedTask;
    }

    private async Task<(PcpResponseHeader, PcpMapData)?> MapAsync(byte[] nonce, ushort internalPort, ushort suggestedPort, uint lifetime, CancellationToken ct)
    {
        byte[] request = new byte[PcpCodec.HeaderLength + PcpCodec.MapDataLength];
        PcpCodec.TryWriteMapRequest(request, _exchange.LocalAddress, nonce, Udp, internalPort, new IPEndPoint(IPAddress.Any, suggestedPort), lifetime, out _);
        byte[]? answer = await _exchange.ExchangeAsync(
            request,
            a => PcpCodec.TryReadMapResponse(a, out _, out PcpMapData m)
                && m.Nonce.AsSpan().SequenceEqual(nonce) && m.Protocol == Udp && m.InternalPort == internalPort,
            _options.ProbeTimeout,
            ct).ConfigureAwait(false);
        if (answer is null || !PcpCodec.TryReadMapResponse(answer, out PcpResponseHeader header, out PcpMapData map))
        {
            return null;
        }

        ObserveEpoch(header.EpochSeconds);
        return (header, map);
    }

    // RFC 6887 §8.5: keeps the epoch current for the next announcement's check.
    private void ObserveEpoch(uint epoch)
    {
        lock (_epoch)
        {
            _ = _epoch.Observe(epoch);
        }
    }
}
