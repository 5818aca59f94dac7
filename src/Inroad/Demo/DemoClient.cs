using System.Net;
using System.Net.Sockets;
using Inroad.Brokers;
using Inroad.Client.Dial;
using Inroad.Client.LocalProxy;
using Inroad.Client.Tunnel;
using Inroad.Protocol;
using Inroad.Tunnel;

namespace Inroad.Demo;

/// <summary>One client of a <see cref="DemoNetwork"/>: dialer, tunnel keeper and local SOCKS5/HTTP ports.</summary>
internal sealed class DemoClient : IAsyncDisposable
{
    private readonly BrokerClient _brokers;
    private int _disposed;

    private DemoClient(BrokerClient brokers, TunnelKeeper keeper, LocalProxyServer proxy)
    {
        _brokers = brokers;
        Keeper = keeper;
        Proxy = proxy;
    }

    public TunnelKeeper Keeper { get; }

    public LocalProxyServer Proxy { get; }

    internal static DemoClient Start(DemoNetwork network, Id32? personal, int socksPort, int httpPort)
    {
        var brokers = new BrokerClient(new BrokerClientOptions { Brokers = [network.BrokerSpec], LoggerFactory = network.LoggerFactory });
        var dialer = new InproxyDialer(new InproxyDialerOptions
        {
            Brokers = brokers,
            WebRtc = network.WebRtcOptions(),
            CommonCompartmentIds = personal is null ? [network.CommonCompartment] : [],
            PersonalCompartmentId = personal,
            LoggerFactory = network.LoggerFactory,
        });
        var destination = new InproxyDestination(network.SignedServerEntry, network.Destination);

        // The ports first: a failure to listen then leaves nothing running but the broker client.
        TunnelKeeper? keeper = null;
        LocalProxyServer proxy;
        try
        {
            proxy = StartLocalProxy(
                (target, ct) => keeper is { } k ? k.OpenStreamAsync(target, ct) : ValueTask.FromException<Stream>(new TunnelStreamException(MuxResetReason.Unreachable)),
                socksPort,
                httpPort);
        }
        catch
        {
            brokers.Dispose();
            throw;
        }

        keeper = TunnelKeeper.Start(new TunnelKeeperOptions
        {
            Dial = async ct => await dialer.DialAsync(destination, ct).ConfigureAwait(false),
            Server = ServerIdentity.FromSignedEntry(network.SignedServerEntry),
            LoggerFactory = network.LoggerFactory,
        });
        return new DemoClient(brokers, keeper, proxy);
    }

    // Preferred ports when free, else any free port: the demo prints whichever it got.
    private static LocalProxyServer StartLocalProxy(TunnelStreamOpener open, int socksPort, int httpPort)
    {
        try
        {
            return LocalProxyServer.Start(
                new LocalProxyOptions { SocksEndPoint = new IPEndPoint(IPAddress.Loopback, socksPort), HttpEndPoint = new IPEndPoint(IPAddress.Loopback, httpPort) },
                open);
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse && (socksPort != 0 || httpPort != 0))
        {
            return LocalProxyServer.Start(new LocalProxyOptions(), open);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await Proxy.DisposeAsync().ConfigureAwait(false);
        await Keeper.DisposeAsync().ConfigureAwait(false);
        _brokers.Dispose();
    }
}
