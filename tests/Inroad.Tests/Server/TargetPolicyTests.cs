using System.Net;
using Inroad.Server;

namespace Inroad.Tests.Server;

public sealed class TargetPolicyTests
{
    [Theory]
    [InlineData("10.1.2.3", false)]
    [InlineData("127.0.0.1", false)]
    [InlineData("172.31.255.255", false)]
    [InlineData("172.32.0.1", true)]
    [InlineData("100.64.0.1", false)]
    [InlineData("198.19.255.1", false)]
    [InlineData("93.184.216.34", true)]
    [InlineData("::ffff:192.168.1.1", false)]
    [InlineData("fd00::1", false)]
    [InlineData("2606:4700::1", true)]
    public void Default_policy_denies_private_and_special_ranges(string address, bool allowed) =>
        Assert.Equal(allowed, new TargetPolicy().IsAllowed(IPAddress.Parse(address)));

    [Fact]
    public void An_explicit_allow_wins_over_the_default_deny()
    {
        var policy = new TargetPolicy(allowed: [IpNetwork.Parse("127.0.0.0/8")]);
        Assert.True(policy.IsAllowed(IPAddress.Loopback));
        Assert.False(policy.IsAllowed(IPAddress.Parse("10.0.0.1")));
    }

    [Theory]
    [InlineData("10.0.0.0/33")]
    [InlineData("nonsense/8")]
    [InlineData("::/129")]
    public void Bad_prefixes_are_rejected_with_a_clear_error(string text) =>
        Assert.Throws<FormatException>(() => IpNetwork.Parse(text));

    [Theory]
    [InlineData("example.com:443", "example.com", 443)]
    [InlineData("[2001:db8::1]:80", "2001:db8::1", 80)]
    public void Targets_split_into_host_and_port(string target, string host, int port)
    {
        Assert.True(TargetDialer.TryParseTarget(target, out string h, out int p));
        Assert.Equal(host, h);
        Assert.Equal(port, p);
    }

    [Theory]
    [InlineData("example.com")]
    [InlineData("example.com:0")]
    [InlineData(":80")]
    [InlineData("host:70000")]
    public void Malformed_targets_are_rejected(string target) =>
        Assert.False(TargetDialer.TryParseTarget(target, out _, out _));
}
