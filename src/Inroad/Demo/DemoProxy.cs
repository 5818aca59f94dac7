using Inroad.Brokers;
using Inroad.Protocol;
using Inroad.Proxy;
using Inroad.Sessions.Keys;

namespace Inroad.Demo;

/// <summary>One proxy of a <see cref="DemoNetwork"/>: its own long-term key, broker client and run loop.</summary>
internal sealed class DemoProxy : IAsyncDisposable
{
    private readonly SessionPrivateKey _key;
    private readonly BrokerClient _brokers;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _run;
    private int _disposed;

    private DemoProxy(SessionPrivateKey key, BrokerClient brokers, InproxyProxy proxy, Id32? personal)
    {
        _key = key;
        _brokers = brokers;
        Proxy = proxy;
        PersonalCompartment = personal;
        ProxyId = Id32.From(key.Id.ToArray());
        _run = proxy.RunAsync(_stop.Token);
    }

    /// <summary>The proxy's ID (its X25519 session public key), as broker reports name it.</summary>
    public Id32 ProxyId { get; }

    /// <summary>The personal compartment this proxy serves, if any.</summary>
    public Id32? PersonalCompartment { get; }

    public InproxyProxy Proxy { get; }

    internal static DemoProxy Start(DemoNetwork network, Id32? personal, int maxCommonClients, int maxPersonalClients)
    {
        SessionPrivateKey key = SessionPrivateKey.Generate();
        var brokers = new BrokerClient(new BrokerClientOptions { Brokers = [network.BrokerSpec], PrivateKey = key, LoggerFactory = network.LoggerFactory });
        var proxy = new InproxyProxy(new ProxyOptions
        {
            Brokers = brokers,
            MaxCommonClients = maxCommonClients,
            MaxPersonalClients = personal is null ? 0 : maxPersonalClients,
            PersonalCompartmentId = personal,
            WebRtc = network.WebRtcOptions(),
            LoggerFactory = network.LoggerFactory,
        });
        return new DemoProxy(key, brokers, proxy, personal);
    }

    /// <summary>Stops the proxy at once, dropping every client it relays (as a killed process would).</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        await Proxy.DisposeAsync().ConfigureAwait(false);
        try
        {
            await _run.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        _brokers.Dispose();
        _key.Dispose();
        _stop.Dispose();
    }
}
