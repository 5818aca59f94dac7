using System.Net;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;

namespace Inroad.Nat.PortMapping;

/// <summary>
/// PCP (RFC 6887) client for one gateway. Each mapping keeps its nonce for renewals and deletion (§11.1).
/// The server's epoch is tracked (§8.5): an epoch that went backwards means the server lost its state, and
/// <see cref="ServerLostState"/> tells the lease to map again at once, as does an unsolicited ANNOUNCE (§14.1).
/// </summary>
internal sealed class PcpClient : IMappingProtocolClient
{
    private const byte Udp = 17;
    private readonly GatewayUdpExchange _exchange;
    private readonly PortMapperOptions _options;
    private readonly Dictionary<ushort, byte[]> _nonces = [];
    private uint? _lastEpoch;
    private long _lastEpochAt;

    public PcpClient(PortMapperOptions options, IPAddress gateway, ILogger logger)
    {
        _options = options;
        _exchange = new GatewayUdpExchange(options, gateway, PcpCodec.Port, logger);
    }

    public PortMappingProtocol Protocol => PortMappingProtocol.Pcp;

    /// <summary>Raised when the server's epoch shows it restarted or an ANNOUNCE arrives: mappings must be renewed now.</summary>
    public event Action? ServerLostState;

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

    /// <summary>Handles a datagram that arrived unasked (e.g. an ANNOUNCE to port 5350, §14.1.3); true when it was one.</summary>
    public bool HandleUnsolicited(ReadOnlySpan<byte> datagram, IPAddress from)
    {
        if (!from.Equals(_exchange.Gateway) || !PcpCodec.TryReadResponseHeader(datagram, out PcpResponseHeader h)
            || h.Opcode != PcpCodec.OpAnnounce || h.ResultCode != PcpCodec.ResultSuccess)
        {
            return false;
        }

        ServerLostState?.Invoke();
        return true;
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

    // RFC 6887 §8.5: the server's epoch should advance with ours (within 1/8 plus 2 s); if it fell behind, it rebooted.
    private void ObserveEpoch(uint epoch)
    {
        long now = _options.TimeProvider.GetTimestamp();
        if (_lastEpoch is uint previous)
        {
            double elapsed = _options.TimeProvider.GetElapsedTime(_lastEpochAt, now).TotalSeconds;
            if (epoch + 2 < previous || epoch + 2 < previous + (elapsed * 7 / 8))
            {
                ServerLostState?.Invoke();
            }
        }

        _lastEpoch = epoch;
        _lastEpochAt = now;
    }
}
