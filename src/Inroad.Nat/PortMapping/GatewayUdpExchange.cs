using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace Inroad.Nat.PortMapping;

/// <summary>
/// Request/response over UDP to a gateway's port 5351 (NAT-PMP and PCP). The socket is connected, so the
/// kernel drops datagrams from any other source; the answer must also pass the caller's check (opcode,
/// nonce…). Retransmits on the RFC 6886 §3.1 schedule (250 ms by default, doubling) until the timeout. Answers
/// left over from an earlier exchange (the gateway answering a resend too) are discarded before the next request,
/// so an old answer that happens to match it (same nonce and port) is never taken for the new one.
/// </summary>
internal sealed partial class GatewayUdpExchange : IDisposable
{
    private readonly Socket _socket;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _one = new(1, 1);
    private readonly TimeSpan _firstRetransmit;

    public GatewayUdpExchange(PortMapperOptions options, IPAddress gateway, int port, ILogger logger)
    {
        _time = options.TimeProvider;
        _firstRetransmit = options.FirstRetransmitDelay;
        _logger = logger;
        _socket = options.SocketFactory(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            _socket.Connect(new IPEndPoint(gateway, port));
        }
        catch (SocketException ex)
        {
            _socket.Dispose();
            throw new NatException(NatError.Network, $"Cannot reach gateway {gateway}:{port}: {ex.SocketErrorCode}.", ex);
        }

        Gateway = gateway;
        LocalAddress = ((IPEndPoint)_socket.LocalEndPoint!).Address;
    }

    public IPAddress Gateway { get; }

    /// <summary>Our address on the gateway's network (PCP's client address, UPnP's internal client).</summary>
    public IPAddress LocalAddress { get; }

    /// <summary>Sends <paramref name="request"/> until <paramref name="accept"/> takes an answer or the timeout passes; null on timeout.</summary>
    public async Task<byte[]?> ExchangeAsync(byte[] request, Func<byte[], bool> accept, TimeSpan timeout, CancellationToken ct)
    {
        await _one.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            using var overall = CancellationTokenSource.CreateLinkedTokenSource(ct);
            overall.CancelAfter(timeout);
            byte[] buffer = new byte[1100];
            DiscardStaleAnswers(buffer);
            TimeSpan wait = _firstRetransmit;
            while (!overall.IsCancellationRequested)
            {
                try
                {
                    await _socket.SendAsync(request, SocketFlags.None, overall.Token).ConfigureAwait(false);
                }
                catch (SocketException ex)
                {
                    LogSendFailed(_logger, Gateway, ex.SocketErrorCode);
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                    break;
                }

                using var round = CancellationTokenSource.CreateLinkedTokenSource(overall.Token);
                round.CancelAfter(wait);
                while (true)
                {
                    int n;
                    try
                    {
                        n = await _socket.ReceiveAsync(buffer, SocketFlags.None, round.Token).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                    {
                        break;
                    }
                    catch (SocketException ex) when (ex.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionRefused or SocketError.MessageSize)
                    {
                        // ICMP port unreachable: nobody listens on the gateway; keep waiting out the round.
                        LogIgnored(_logger, Gateway, "ICMP " + ex.SocketErrorCode);
                        try
                        {
                            await Task.Delay(wait, _time, round.Token).ConfigureAwait(false);
                        }
                        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                        {
                        }

                        break;
                    }

                    byte[] answer = buffer.AsSpan(0, n).ToArray();
                    if (accept(answer))
                    {
                        return answer;
                    }

                    LogIgnored(_logger, Gateway, $"unexpected {n}-byte reply");
                }

                wait *= 2;
            }

            ct.ThrowIfCancellationRequested();
            return null;
        }
        finally
        {
            _one.Release();
        }
    }

    private void DiscardStaleAnswers(byte[] buffer)
    {
        while (_socket.Available > 0)
        {
            try
            {
                int n = _socket.Receive(buffer, SocketFlags.None);
                LogIgnored(_logger, Gateway, $"stale {n}-byte reply");
            }
            catch (SocketException ex) when (ex.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionRefused or SocketError.MessageSize)
            {
                // A queued ICMP error or an oversize datagram: gone now either way.
            }
        }
    }

    public void Dispose()
    {
        _socket.Dispose();
        _one.Dispose();
    }

    [LoggerMessage(EventId = 701, Level = LogLevel.Debug, Message = "Port mapping: ignored a reply from {Gateway}: {Why}")]
    private static partial void LogIgnored(ILogger logger, IPAddress gateway, string why);

    [LoggerMessage(EventId = 702, Level = LogLevel.Debug, Message = "Port mapping: send to {Gateway} failed: {Error}")]
    private static partial void LogSendFailed(ILogger logger, IPAddress gateway, SocketError error);
}
