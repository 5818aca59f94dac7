using Inroad.Brokers;
using Inroad.Proxy;
using Inroad.Sessions;
using Inroad.Sessions.Keys;
using Inroad.Sessions.Obfuscation;
using Id32 = Inroad.Protocol.Id32;

namespace Inroad.Tests.Proxy;

public sealed class ProxyOptionsTests
{
    private static BrokerClient Brokers()
    {
        using SessionPrivateKey broker = SessionPrivateKey.Generate();
        return new BrokerClient(new BrokerClientOptions
        {
            Brokers = [new BrokerSpec(new Uri("http://127.0.0.1:1/b"), new ResponderIdentity(broker.PublicKey, ObfuscationSecret.Generate()))],
        });
    }

    [Theory]
    [InlineData("Brokers", 0)]
    [InlineData("MaxCommonClients", 1)]
    [InlineData("MaxCommonClients", 2)]
    [InlineData("MaxPersonalClients", 3)]
    [InlineData("PersonalCompartmentId", 4)]
    [InlineData("LimitUpstreamBytesPerSecond", 5)]
    [InlineData("InactivityTimeout", 6)]
    [InlineData("AnnounceDelayJitter", 7)]
    [InlineData("ShapeSeed", 8)]
    public void Validate_names_the_bad_property(string property, int spoil)
    {
        using BrokerClient brokers = Brokers();
        var options = new ProxyOptions { Brokers = brokers };
        options.Validate();
        Action change = spoil switch
        {
            0 => () => options.Brokers = null,
            1 => () => options.MaxCommonClients = 0,
            2 => () => options.MaxCommonClients = 5000,
            3 => () => options.PersonalCompartmentId = Id32.NewRandom(),
            4 => () => options.PersonalCompartmentId = default(Id32),
            5 => () => options.LimitUpstreamBytesPerSecond = -1,
            6 => () => options.InactivityTimeout = TimeSpan.Zero,
            7 => () => options.AnnounceDelayJitter = 1.5,
            _ => () => options.WebRtc.ShapeSeed = new byte[3],
        };
        change();
        var e = Assert.ThrowsAny<ArgumentException>(options.Validate);
        Assert.Equal(property, e.ParamName);
    }

    [Fact]
    public void Shared_limits_count_slots_across_proxies()
    {
        var limits = new ProxyLimits(2, 1);
        Assert.True(limits.TryAcquire(ProxyClientKind.Common));
        Assert.True(limits.TryAcquire(ProxyClientKind.Common));
        Assert.False(limits.TryAcquire(ProxyClientKind.Common));
        Assert.True(limits.TryAcquire(ProxyClientKind.Personal));
        Assert.Equal(0, limits.Free(ProxyClientKind.Common));
        limits.SetLimits(1, 1); // soft: existing clients keep their slots
        Assert.Equal(2, limits.Active(ProxyClientKind.Common));
        Assert.Equal(0, limits.Free(ProxyClientKind.Common));
        limits.Release(ProxyClientKind.Common);
        limits.Release(ProxyClientKind.Common);
        Assert.Equal(1, limits.Free(ProxyClientKind.Common));
    }
}
