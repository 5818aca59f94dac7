using System.Net;
using System.Net.Sockets;
using Inroad.Tunnel;

namespace Inroad.Server;

/// <summary>
/// Dials the "host:port" a tunnel stream asks for: resolves on the server (so clients never leak DNS),
/// drops addresses the <see cref="TargetPolicy"/> denies, and tries the rest in order.
/// </summary>
public sealed class TargetDialer
{
    private readonly TargetPolicy _policy;
    private readonly TimeSpan _connectTimeout;

    public TargetDialer(TargetPolicy policy, TimeSpan? connectTimeout = null)
    {
        _policy = policy ?? throw new ArgumentNullException(nameof(policy));
        _connectTimeout = connectTimeout ?? TimeSpan.FromSeconds(10);
    }

    /// <summary>Connects, or throws <see cref="TunnelStreamException"/> with the reason to send the client.</summary>
    public async Task<Socket> DialAsync(string target, CancellationToken cancellationToken)
    {
        if (!TryParseTarget(target, out string host, out int port))
        {
            throw new TunnelStreamException(MuxResetReason.Unreachable);
        }

        IPAddress[] addresses;
        if (IPAddress.TryParse(host, out IPAddress? literal))
        {
            addresses = [literal];
        }
        else
        {
            try
            {
                addresses = await Dns.GetHostAddressesAsync(host, cancellationToken).ConfigureAwait(false);
            }
            catch (SocketException)
            {
                throw new TunnelStreamException(MuxResetReason.Unreachable);
            }
        }

        IPAddress[] permitted = [.. addresses.Where(_policy.IsAllowed)];
        if (permitted.Length == 0)
        {
            throw new TunnelStreamException(addresses.Length == 0 ? MuxResetReason.Unreachable : MuxResetReason.NotAllowed);
        }

        MuxResetReason last = MuxResetReason.Unreachable;
        foreach (IPAddress address in permitted)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(_connectTimeout);
            try
            {
                await socket.ConnectAsync(address, port, timeout.Token).ConfigureAwait(false);
                return socket;
            }
            catch (SocketException e)
            {
                socket.Dispose();
                last = e.SocketErrorCode == SocketError.ConnectionRefused ? MuxResetReason.Refused : MuxResetReason.Unreachable;
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                socket.Dispose();
                last = MuxResetReason.Unreachable;
            }
        }

        throw new TunnelStreamException(last);
    }

    /// <summary>Splits "host:port" or "[v6]:port".</summary>
    public static bool TryParseTarget(string target, out string host, out int port)
    {
        host = string.Empty;
        port = 0;
        int colon = target.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(target.AsSpan(colon + 1), out port) || port is < 1 or > 65535)
        {
            return false;
        }

        host = target[..colon];
        if (host.StartsWith('[') && host.EndsWith(']'))
        {
            host = host[1..^1];
        }

        return host.Length is > 0 and <= 253;
    }
}
