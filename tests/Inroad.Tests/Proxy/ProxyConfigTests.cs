using System.Net;
using Inroad.Broker.Compartments;
using Inroad.Proxy;
using Inroad.Sessions.Keys;
using Inroad.Sessions.Obfuscation;
using Id32 = Inroad.Protocol.Id32;

namespace Inroad.Tests.Proxy;

public sealed class ProxyConfigTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("inroad-proxy-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string json)
    {
        string path = Path.Combine(_dir, "proxy.json");
        File.WriteAllText(path, json);
        return path;
    }

    private static string Broker()
    {
        using SessionPrivateKey key = SessionPrivateKey.Generate();
        return $$"""{ "endpoint": "http://127.0.0.1:8443/inroad-broker", "publicKey": "{{key.PublicKey}}", "obfuscationSecret": "{{ObfuscationSecret.Generate().Export()}}" }""";
    }

    [Fact]
    public void The_key_is_created_on_first_run_and_the_same_identity_is_read_back()
    {
        ProxyConfig config = ProxyConfig.Load(Write($$"""{ "brokers": [ {{Broker()}} ], "keyFile": "id.key", "maxCommonClients": 3, }"""));
        using SessionPrivateKey first = config.LoadOrCreateKey(_dir, out bool created);
        Assert.True(created);
        Assert.True(File.Exists(Path.Combine(_dir, "id.key")));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(_dir, "id.key")));
        }

        using SessionPrivateKey second = config.LoadOrCreateKey(_dir, out bool createdAgain);
        Assert.False(createdAgain);
        Assert.Equal(first.Id, second.Id);
    }

    [Fact]
    public void A_pairing_string_makes_a_personal_proxy()
    {
        Id32 id = Id32.NewRandom();
        ProxyConfig config = ProxyConfig.Load(Write($$"""
            // comments are allowed
            { "brokers": [ {{Broker()}} ], "personalPairing": "{{PairingString.Encode(id)}}", "maxPersonalClients": 2,
              "limitUpstreamBytesPerSecond": 1000, "limitDownstreamBytesPerSecond": 2000, "inactivityTimeoutSeconds": 60, "includeLoopback": true }
            """));
        using SessionPrivateKey key = SessionPrivateKey.Generate();
        using var brokers = new Inroad.Brokers.BrokerClient(config.ToBrokerClientOptions(key));
        ProxyOptions options = Assert.Single(config.ToProxyOptions(brokers)); // no common slots unless asked for
        options.Validate();
        Assert.Equal(id, options.PersonalCompartmentId);
        Assert.Equal(ProxyClientKind.Personal, options.Kind);
        Assert.Equal(2, options.MaxPersonalClients);
        Assert.Equal(1000, options.LimitUpstreamBytesPerSecond);
        Assert.Equal(2000, options.LimitDownstreamBytesPerSecond);
        Assert.Equal(TimeSpan.FromMinutes(1), options.InactivityTimeout);
        Assert.True(options.WebRtc.IncludeLoopback);
        Assert.Equal(key.Id, brokers.Id);
        Assert.Equal(new Uri("http://127.0.0.1:8443/inroad-broker"), brokers.Current.Endpoint);
    }

    [Fact]
    public void A_pairing_string_with_common_slots_runs_one_loop_per_kind_under_one_identity()
    {
        Id32 id = Id32.NewRandom();
        ProxyConfig config = ProxyConfig.Load(Write($$"""{ "brokers": [ {{Broker()}} ], "personalPairing": "{{PairingString.Encode(id)}}", "maxPersonalClients": 3, "maxCommonClients": 3 }"""));
        using SessionPrivateKey key = SessionPrivateKey.Generate();
        using var brokers = new Inroad.Brokers.BrokerClient(config.ToBrokerClientOptions(key));
        IReadOnlyList<ProxyOptions> loops = config.ToProxyOptions(brokers);
        Assert.Equal(2, loops.Count);
        Assert.Equal((ProxyClientKind.Common, 3, (Id32?)null), (loops[0].Kind, loops[0].MaxCommonClients, loops[0].PersonalCompartmentId));
        Assert.Equal((ProxyClientKind.Personal, 3, (Id32?)id), (loops[1].Kind, loops[1].MaxPersonalClients, loops[1].PersonalCompartmentId));
        Assert.All(loops, o => Assert.Same(brokers, o.Brokers));
    }

    [Theory]
    [InlineData("""{ "brokers": [] }""", "brokers")]
    [InlineData("""{ "brokers": [ { "endpoint": "ftp://x", "publicKey": "", "obfuscationSecret": "" } ] }""", "brokers[0].endpoint")]
    [InlineData("""{ "brokers": [ { "endpoint": "https://x/b", "publicKey": "nope", "obfuscationSecret": "" } ] }""", "brokers[0].publicKey")]
    [InlineData("""{ "brokers": [ BROKER ], "personalPairing": "inroad-pair:AAAA", "maxPersonalClients": 1 }""", "personalPairing")]
    [InlineData("""{ "brokers": [ BROKER ], "maxCommonClients": 0 }""", "maxCommonClients")]
    [InlineData("""{ "brokers": [ BROKER ], "limitUpstreamBytesPerSecond": -1 }""", "limitUpstreamBytesPerSecond")]
    [InlineData("""{ "brokers": [ BROKER ], "inactivityTimeoutSeconds": 0 }""", "inactivityTimeoutSeconds")]
    [InlineData("""{ "brokers": [ BROKER ], "portMapping": { "gateway": "fe80::1" } }""", "portMapping.gateway")]
    [InlineData("""{ "brokers": [ BROKER ], "natDiscovery": { "stunServers": [ "stun.example.org" ] } }""", "natDiscovery.stunServers")]
    [InlineData("""{ "brokers": """, "JSON")]
    public void Bad_configurations_name_the_field(string json, string field)
    {
        var e = Assert.Throws<InvalidDataException>(() => ProxyConfig.Load(Write(json.Replace("BROKER", Broker(), StringComparison.Ordinal))));
        Assert.Contains(field, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Port_mapping_and_nat_discovery_default_on_and_can_be_set_or_turned_off()
    {
        ProxyConfig defaults = ProxyConfig.Load(Write($$"""{ "brokers": [ {{Broker()}} ] }"""));
        await using (Inroad.Network.HostNat nat = defaults.CreateHostNat())
        {
            Assert.True(nat.PortMappingEnabled); // nothing is sent before Start
        }

        Inroad.Network.HostNatOptions set = Inroad.Network.HostNatConfig.ToOptions(
            new Inroad.Network.PortMappingConfig { Gateway = "192.0.2.1" }, new Inroad.Network.NatDiscoveryConfig { StunServers = ["192.0.2.9:3478"] }, ["embedded:3478"], null);
        Assert.Equal(System.Net.IPAddress.Parse("192.0.2.1"), set.PortMapping.Gateway);
        Assert.Equal(["192.0.2.9:3478"], set.Discovery.StunServers);
        Assert.Equal(["embedded:3478"], Inroad.Network.HostNatConfig.ToOptions(null, null, ["embedded:3478"], null).Discovery.StunServers);

        ProxyConfig off = ProxyConfig.Load(Write($$"""{ "brokers": [ {{Broker()}} ], "portMapping": { "enabled": false }, "natDiscovery": { "enabled": false } }"""));
        await using Inroad.Network.HostNat none = off.CreateHostNat();
        none.Start();
        Assert.False(none.PortMappingEnabled);
        Assert.Null(await none.TryMapUdpPortAsync(waitForProbe: true, TestContext.Current.CancellationToken));
        Assert.True(none.DiscoveryCompletion.IsCompleted);
    }

    [Fact]
    public void A_personal_proxy_announces_at_its_compartment_s_rendezvous_brokers()
    {
        Id32 id = Id32.NewRandom();
        string brokers = string.Join(", ", Enumerable.Range(0, 5).Select(_ => Broker()));
        ProxyConfig config = ProxyConfig.Load(Write($$"""{ "brokers": [ {{brokers}} ], "personalPairing": "{{PairingString.Encode(id)}}" }"""));
        using SessionPrivateKey key = SessionPrivateKey.Generate();
        IReadOnlyList<Inroad.Brokers.BrokerSpec> all = config.ToBrokerClientOptions(key).Brokers;
        IReadOnlyList<Inroad.Brokers.BrokerSpec> personal = config.ToBrokerClientOptions(key, personal: true).Brokers;
        Assert.Equal(5, all.Count);
        Assert.Equal( // what a client with the pairing string computes (each load makes new spec objects: compare keys)
            Inroad.Brokers.PersonalBrokers.Order(all, id).Select(b => b.Identity.PublicKey.ToString()),
            personal.Select(b => b.Identity.PublicKey.ToString()));
        Assert.Equal(3, personal.Count);
    }

    [Fact]
    public void A_corrupt_key_file_is_refused_not_replaced()
    {
        ProxyConfig config = ProxyConfig.Load(Write($$"""{ "brokers": [ {{Broker()}} ] }"""));
        File.WriteAllText(Path.Combine(_dir, "proxy.key"), "garbage");
        Assert.Throws<InvalidDataException>(() => config.LoadOrCreateKey(_dir, out _));
        Assert.Equal("garbage", File.ReadAllText(Path.Combine(_dir, "proxy.key")));
    }

    [Theory]
    [InlineData("127.0.0.1:443", true)]
    [InlineData("[::1]:8080", true)]
    [InlineData("example.com:443", true)]
    [InlineData("127.0.0.1", false)]
    [InlineData("127.0.0.1:0", false)]
    [InlineData("127.0.0.1:70000", false)]
    [InlineData("example.com:", false)]
    [InlineData(":443", false)]
    [InlineData("bad host:443", false)]
    [InlineData("", false)]
    public void Destinations_are_host_and_port(string address, bool valid)
    {
        EndPoint? endpoint = InproxyProxy.ParseDestination(address);
        Assert.Equal(valid, endpoint is not null);
    }
}
