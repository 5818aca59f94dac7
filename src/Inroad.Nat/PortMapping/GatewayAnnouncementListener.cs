using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace Inroad.Nat.PortMapping;

/// <summary>
/// Listens on UDP port 5350 (unicast and the all-hosts group 224.0.0.1) for the gateway's unsolicited
/// announcements: PCP ANNOUNCE (RFC 6887 §14.1.3) and NAT-PMP external-address announcements (RFC 6886 §3.2.1).
/// The socket is bound with SO_REUSEADDR so several processes on one host can listen (each gets the multicast
/// copy; a unicast announcement reaches one of them). Only datagrams from the current default gateway's port
/// 5351 that parse as an announcement are passed on; everything else is logged at debug level and dropped.
/// </summary>
internal sealed partial class GatewayAnnouncementListener : IAsyncDisposable
{
    private static readonly IPAddress AllHosts = IPAddress.Parse("224.0.0.1");
    private readonly Socket _socket;
    private readonly Func<IPAddress?> _gateway;
    private readonly Action<GatewayAnnouncement> _onAnnouncement;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private int _accepted;
    private int _ignored;

    private GatewayAnnouncementListener(Socket socket, Func<IPAddress?> gateway, Action<GatewayAnnouncement> onAnnouncement, ILogger logger)
    {
        _socket = socket;
        _gateway = gateway;
        _onAnnouncement = onAnnouncement;
        _logger = logger;
        _loop = Task.Run(ReceiveLoopAsync);
    }

    /// <summary>Where the listener is bound.</summary>
    public IPEndPoint LocalEndPoint => (IPEndPoint)_socket.LocalEndPoint!;

    /// <summary>Announcements passed on so far.</summary>
    public int Accepted => Volatile.Read(ref _accepted);

    /// <summary>Datagrams dropped so far (wrong source, malformed).</summary>
    public int Ignored => Volatile.Read(ref _ignored);

    /// <summary>
    /// Binds <see cref="PortMapperOptions.AnnouncementEndPoint"/> and starts listening; null (logged) when the port
    /// cannot be bound, since renewal at half the lifetime still works without announcements.
    /// </summary>
    public static GatewayAnnouncementListener? TryStart(PortMapperOptions options, Func<IPAddress?> gateway, Action<GatewayAnnouncement> onAnnouncement, ILogger logger)
    {
        IPEndPoint bind = options.AnnouncementEndPoint;
        Socket socket;
        try
        {
            socket = options.SocketFactory(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        }
        catch (SocketException ex)
        {
            LogCannotListen(logger, bind, ex.SocketErrorCode);
            return null;
        }

        try
        {
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            socket.Bind(bind);
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            LogCannotListen(logger, bind, ex.SocketErrorCode);
            return null;
        }

        if (bind.Address.Equals(IPAddress.Any))
        {
            try
            {
                // Every multicast-capable interface is already in 224.0.0.1; joining makes the intent explicit.
                socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.AddMembership, new MulticastOption(AllHosts));
            }
            catch (SocketException ex)
            {
                LogJoinFailed(logger, ex.SocketErrorCode);
            }
        }

        return new GatewayAnnouncementListener(socket, gateway, onAnnouncement, logger);
    }

    /// <summary>Decides whether a datagram is an announcement from <paramref name="gateway"/>; never throws.</summary>
    internal static AnnouncementVerdict Classify(ReadOnlySpan<byte> datagram, IPEndPoint from, IPAddress? gateway, out GatewayAnnouncement announcement)
    {
        announcement = default;
        IPAddress source = from.Address.IsIPv4MappedToIPv6 ? from.Address.MapToIPv4() : from.Address;
        if (gateway is null || !source.Equals(gateway) || from.Port != PcpCodec.Port)
        {
            return AnnouncementVerdict.WrongSource;
        }

        return GatewayAnnouncement.TryRead(datagram, out announcement) ? AnnouncementVerdict.Accepted : AnnouncementVerdict.Malformed;
    }

    public async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        _socket.Dispose();
        try
        {
            await _loop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
    }

    private async Task ReceiveLoopAsync()
    {
        byte[] buffer = new byte[1100 + 1]; // one byte more than the largest PCP message, so oversize is seen
        var any = new IPEndPoint(IPAddress.Any, 0);
        CancellationToken ct = _stop.Token;
        while (!ct.IsCancellationRequested)
        {
            SocketReceiveFromResult r;
            try
            {
                r = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, any, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (SocketException ex) when (ex.SocketErrorCode is SocketError.ConnectionReset or SocketError.MessageSize)
            {
                continue;
            }
            catch (SocketException ex)
            {
                LogReceiveFailed(_logger, ex.SocketErrorCode);
                return;
            }

            var from = (IPEndPoint)r.RemoteEndPoint;
            AnnouncementVerdict verdict = Classify(buffer.AsSpan(0, r.ReceivedBytes), from, _gateway(), out GatewayAnnouncement announcement);
            if (verdict != AnnouncementVerdict.Accepted)
            {
                Interlocked.Increment(ref _ignored);
                LogIgnored(_logger, from, r.ReceivedBytes, verdict);
                continue;
            }

            Interlocked.Increment(ref _accepted);
            LogAnnouncement(_logger, announcement.Protocol, from.Address, announcement.EpochSeconds);
            _onAnnouncement(announcement);
        }
    }

    [LoggerMessage(EventId = 751, Level = LogLevel.Debug, Message = "Port mapping: ignored a {Length}-byte datagram on the announcement port from {From}: {Verdict}")]
    private static partial void LogIgnored(ILogger logger, IPEndPoint from, int length, AnnouncementVerdict verdict);

    [LoggerMessage(EventId = 752, Level = LogLevel.Information, Message = "Port mapping: {Protocol} announcement from gateway {Gateway} (epoch {Epoch} s)")]
    private static partial void LogAnnouncement(ILogger logger, PortMappingProtocol protocol, IPAddress gateway, uint epoch);

    [LoggerMessage(EventId = 753, Level = LogLevel.Debug, Message = "Port mapping: cannot listen for gateway announcements on {EndPoint}: {Error}")]
    private static partial void LogCannotListen(ILogger logger, IPEndPoint endPoint, SocketError error);

    [LoggerMessage(EventId = 754, Level = LogLevel.Debug, Message = "Port mapping: cannot join 224.0.0.1 for announcements: {Error}")]
    private static partial void LogJoinFailed(ILogger logger, SocketError error);

    [LoggerMessage(EventId = 755, Level = LogLevel.Debug, Message = "Port mapping: announcement listener stopped: {Error}")]
    private static partial void LogReceiveFailed(ILogger logger, SocketError error);
}

/// <summary>What the listener made of a datagram.</summary>
internal enum AnnouncementVerdict
{
    /// <summary>An announcement from the gateway.</summary>
    Accepted,

    /// <summary>Not from the current default gateway's port 5351.</summary>
    WrongSource,

    /// <summary>From the gateway, but not a well-formed announcement.</summary>
    Malformed,
}
