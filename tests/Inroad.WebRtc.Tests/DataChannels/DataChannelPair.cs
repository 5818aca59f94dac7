using Inroad.WebRtc.DataChannels;
using Inroad.WebRtc.Sctp;
using Inroad.WebRtc.Transport;

namespace Inroad.WebRtc.Tests.DataChannels;

/// <summary>Two data channel sessions over an in-memory link: A plays the DTLS client, B the server.</summary>
internal sealed class DataChannelPair : IAsyncDisposable
{
    private readonly IDatagramTransport _ta;
    private readonly IDatagramTransport _tb;

    private DataChannelPair(IDatagramTransport ta, IDatagramTransport tb, DataChannelSession a, DataChannelSession b)
    {
        _ta = ta;
        _tb = tb;
        A = a;
        B = b;
    }

    public DataChannelSession A { get; }

    public DataChannelSession B { get; }

    public static async Task<DataChannelPair> StartAsync(LinkImpairment? impairment, CancellationToken cancellationToken, Func<bool, DataChannelSessionOptions>? options = null)
    {
        (IDatagramTransport ta, IDatagramTransport tb) = InMemoryDatagramLink.CreatePair(impairment, impairment is null ? null : impairment with { Seed = impairment.Seed + 7 });
        var sctp = new SctpOptions { RtoInitial = TimeSpan.FromMilliseconds(100), RtoMin = TimeSpan.FromMilliseconds(50) };
        options ??= client => new DataChannelSessionOptions { IsDtlsClient = client, Sctp = sctp };
        var a = new DataChannelSession(ta, options(true));
        var b = new DataChannelSession(tb, options(false));
        await Task.WhenAll(a.StartAsync(cancellationToken), b.StartAsync(cancellationToken));
        return new DataChannelPair(ta, tb, a, b);
    }

    public async ValueTask DisposeAsync()
    {
        await A.DisposeAsync();
        await B.DisposeAsync();
        await _ta.DisposeAsync();
        await _tb.DisposeAsync();
    }
}
