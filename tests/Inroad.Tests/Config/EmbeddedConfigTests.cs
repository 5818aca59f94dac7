using Inroad.Config;

namespace Inroad.Tests.Config;

public sealed class EmbeddedConfigTests
{
    [Fact]
    public void The_compiled_in_defaults_load_and_every_STUN_server_is_host_and_port()
    {
        EmbeddedConfig config = EmbeddedConfig.Default;
        Assert.NotEmpty(config.StunServers);
        Assert.NotEmpty(config.NatDiscoveryStunServers);
        foreach (string server in config.StunServers.Concat(config.NatDiscoveryStunServers))
        {
            Assert.True(int.TryParse(server[(server.LastIndexOf(':') + 1)..], out int port) && port is > 0 and < 65536, server);
        }

        Assert.True(config.Demo.Proxies >= 1);
        Assert.True(config.Demo.MaxCommonClientsPerProxy >= 1);
        Assert.True(config.Demo.ProxyQuality);
    }
}
