using Inroad.Broker.Destinations;
using Inroad.Broker.Reports;
using Inroad.Protocol.Messages;
using Inroad.Server.BrokerReports;
using Inroad.Sessions.Keys;
using Inroad.Sessions.Obfuscation;
using Microsoft.Extensions.Time.Testing;
using Id32 = Inroad.Protocol.Id32;

namespace Inroad.Tests.Broker;

/// <summary>The relay's bookkeeping: bounded pending table, lifetimes, options.</summary>
public sealed class ServerReportRelayTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 26, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Pending_table_evicts_the_oldest_when_full_and_forgets_entries_after_their_lifetime()
    {
        var time = new FakeTimeProvider(Start);
        var table = new PendingReportTable(2, TimeSpan.FromSeconds(60), time);
        Id32 a = Id32.NewRandom(), b = Id32.NewRandom(), c = Id32.NewRandom();
        table.Add(a, Pending(a, time));
        time.Advance(TimeSpan.FromSeconds(30));
        table.Add(b, Pending(b, time));
        table.Add(c, Pending(c, time));

        Assert.False(table.TryGet(a, out _));
        Assert.True(table.TryGet(b, out PendingServerReport? found));
        Assert.Equal(b, found!.ConnectionId);
        Assert.Equal(2, table.Count);

        time.Advance(TimeSpan.FromSeconds(60));
        Assert.False(table.TryGet(b, out _));
        Assert.False(table.TryGet(c, out _));
        table.Add(a, Pending(a, time)); // sweeps the expired
        Assert.Equal(1, table.Count);
    }

    [Fact]
    public void Replacing_an_entry_keeps_the_table_consistent()
    {
        var time = new FakeTimeProvider(Start);
        var table = new PendingReportTable(2, TimeSpan.FromSeconds(60), time);
        Id32 a = Id32.NewRandom(), b = Id32.NewRandom();
        PendingServerReport second = Pending(a, time);
        table.Add(a, Pending(a, time));
        table.Add(a, second);
        table.Add(b, Pending(b, time));

        Assert.True(table.TryGet(a, out PendingServerReport? found));
        Assert.Same(second, found);
        Assert.True(table.TryGet(b, out _));
    }

    [Fact]
    public async Task Relay_older_than_its_lifetime_is_finished()
    {
        var time = new FakeTimeProvider(Start);
        using var relay = new ServerReportRelay(new ServerReportRelayOptions { TimeProvider = time, PendingTtl = TimeSpan.FromSeconds(60), StepTimeout = TimeSpan.FromSeconds(30) });
        using SessionPrivateKey serverKey = SessionPrivateKey.Generate();
        var entry = new ServerEntry { SessionPublicKey = serverKey.PublicKey.Ed25519.ToArray(), ObfuscationSecret = new byte[32] };
        Id32 connection = Id32.NewRandom();
        byte[] first = await relay.StartAsync(entry, new BrokerServerReport { ConnectionId = connection }, TestContext.Current.CancellationToken);
        Assert.NotEmpty(first);
        Assert.Equal(1, relay.PendingCount);

        time.Advance(TimeSpan.FromSeconds(61));
        Assert.Empty(await relay.ContinueAsync(connection, new byte[100], TestContext.Current.CancellationToken));
    }

    [Fact]
    public void Options_name_the_bad_property()
    {
        Assert.Equal("StepTimeout", Assert.Throws<ArgumentException>(() => new ServerReportRelayOptions { StepTimeout = TimeSpan.FromMinutes(2) }.Validate()).ParamName);
        Assert.Equal("MaxRelayRoundTrips", Assert.Throws<ArgumentException>(() => new ServerReportRelayOptions { MaxRelayRoundTrips = 0 }.Validate()).ParamName);
        using SessionPrivateKey key = SessionPrivateKey.Generate();
        Assert.Equal("Brokers", Assert.Throws<ArgumentException>(() => new ServerBrokerSessionsOptions { PrivateKey = key, ObfuscationSecret = ObfuscationSecret.Generate(), Brokers = [] }.Validate()).ParamName);
        Assert.Equal("PrivateKey", Assert.Throws<ArgumentException>(() => new ServerBrokerSessionsOptions { ObfuscationSecret = ObfuscationSecret.Generate(), Brokers = [key.PublicKey] }.Validate()).ParamName);
    }

    private static PendingServerReport Pending(Id32 connection, TimeProvider time) =>
        new(connection, new Inroad.Sessions.ResponderIdentity(SessionPrivateKey.Generate().PublicKey, ObfuscationSecret.Generate()), [], TimeSpan.FromSeconds(1), time, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
}
