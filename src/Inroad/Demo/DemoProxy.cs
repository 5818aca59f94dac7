using Inroad.Brokers;
using Inroad.Protocol;
using Inroad.Proxy;
using Inroad.Sessions.Keys;

namespace Inroad.Demo;

/// <summary>
/// One proxy of a <see cref="DemoNetwork"/>: its own long-term key and broker client, and one announcing loop per kind
/// of client it serves (common slots, and personal slots for its personal compartment), both under the same proxy ID.
/// </summary>
internal sealed class DemoProxy : IAsyncDisposable
{
    private readonly SessionPrivateKey _key;
    private readonly BrokerClient _brokers;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task[] _runs;
    private int _disposed;

    private DemoProxy(SessionPrivateKey key, BrokerClient brokers, IReadOnlyList<InproxyProxy> loops, Id32? personal)
    {
        _key = key;
        _brokers = brokers;
        Loops = loops;
        PersonalCompartment = personal;
        ProxyId = Id32.From(key.Id.ToArray());
        _runs = [.. loops.Select(l => l.RunAsync(_stop.Token))];
    }

    /// <summary>The proxy's ID (its X25519 session public key), as broker reports name it.</summary>
    public Id32 ProxyId { get; }

    /// <summary>The personal compartment this proxy serves, if any.</summary>
    public Id32? PersonalCompartment { get; }

    /// <summary>The announcing loops: common first (when it has slots), then personal.</summary>
    public IReadOnlyList<InproxyProxy> Loops { get; }

    internal static DemoProxy Start(DemoNetwork network, Id32? personal, int maxCommonClients, int maxPersonalClients)
    {
        SessionPrivateKey key = SessionPrivateKey.Generate();
        var brokers = new BrokerClient(new BrokerClientOptions { Brokers = [network.BrokerSpec], PrivateKey = key, LoggerFactory = network.LoggerFactory });
        var loops = new List<InproxyProxy>();
        if (maxCommonClients > 0)
        {
            loops.Add(new InproxyProxy(Options(network, brokers, null, maxCommonClients, 0)));
        }

        if (personal is not null && maxPersonalClients > 0)
        {
            loops.Add(new InproxyProxy(Options(network, brokers, personal, 0, maxPersonalClients)));
        }

        return new DemoProxy(key, brokers, loops, personal);
    }

    private static ProxyOptions Options(DemoNetwork network, BrokerClient brokers, Id32? personal, int maxCommon, int maxPersonal) => new()
    {
        Brokers = brokers,
        MaxCommonClients = maxCommon,
        MaxPersonalClients = maxPersonal,
        PersonalCompartmentId = personal,
        WebRtc = network.WebRtcOptions(),
        LoggerFactory = network.LoggerFactory,
    };

    /// <summary>Stops the proxy at once, dropping every client it relays (as a killed process would).</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        foreach (InproxyProxy loop in Loops)
        {
            await loop.DisposeAsync().ConfigureAwait(false);
        }

        try
        {
            await Task.WhenAll(_runs).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        _brokers.Dispose();
        _key.Dispose();
        _stop.Dispose();
    }
}
