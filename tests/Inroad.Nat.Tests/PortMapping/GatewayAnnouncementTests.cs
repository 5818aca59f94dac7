using System.Net;
using Inroad.Nat.PortMapping;
using Microsoft.Extensions.Time.Testing;

namespace Inroad.Nat.Tests.PortMapping;

/// <summary>The pure half of announcement handling: which datagrams are announcements, from whom, and what an epoch says.</summary>
public sealed class GatewayAnnouncementTests
{
    // Sent by miniupnpd 2.3.1 on start-up to 224.0.0.1:5350 from 198.18.2.1:5351 (captured with strace in the lab).
    private const string MiniupnpdAnnounce = "02800000000000000000373b000000000000000000000000";
    private static readonly IPAddress Gateway = IPAddress.Parse("198.18.2.1");

    [Fact]
    public void Miniupnpd_start_up_announce_is_a_pcp_announcement()
    {
        Assert.True(GatewayAnnouncement.TryRead(Convert.FromHexString(MiniupnpdAnnounce), out GatewayAnnouncement a));
        Assert.Equal(new GatewayAnnouncement(PortMappingProtocol.Pcp, 0x373b, null), a);
    }

    [Fact]
    public void Nat_pmp_address_announcement_carries_epoch_and_address()
    {
        Assert.True(GatewayAnnouncement.TryRead(Convert.FromHexString("00800000000003e8c6336466"), out GatewayAnnouncement a));
        Assert.Equal(new GatewayAnnouncement(PortMappingProtocol.NatPmp, 1000, IPAddress.Parse("198.51.100.102")), a);
    }

    [Theory]
    [InlineData("")]
    [InlineData("0280")]
    [InlineData("02800000000000000000373b0000000000000000000000")] // truncated (22 bytes)
    [InlineData("02800000000000000000373b00000000000000000000000000")] // not a multiple of 4
    [InlineData("02000000000000000000373b000000000000000000000000")] // R bit clear: a request
    [InlineData("02810000000000000000373b000000000000000000000000")] // MAP, not ANNOUNCE
    [InlineData("02800001000000000000373b000000000000000000000000")] // result UNSUPP_VERSION
    [InlineData("01800000000000000000373b000000000000000000000000")] // version 1
    [InlineData("00800003000003e8c6336466")] // NAT-PMP result 3
    [InlineData("00800000000003e8c633646600")] // NAT-PMP, one byte too many
    [InlineData("00810000000003e8c6336466")] // NAT-PMP map answer, not an announcement
    [InlineData("deadbeefdeadbeefdeadbeefdeadbeefdeadbeefdeadbeef")]
    public void Malformed_datagrams_are_not_announcements(string hex)
    {
        Assert.False(GatewayAnnouncement.TryRead(Convert.FromHexString(hex), out _));
    }

    [Fact]
    public void Oversize_pcp_datagram_is_refused()
    {
        byte[] big = new byte[1104];
        Convert.FromHexString(MiniupnpdAnnounce).CopyTo(big, 0);
        Assert.False(GatewayAnnouncement.TryRead(big, out _));
    }

    [Theory]
    [InlineData("198.18.2.1", 5351, "Accepted")]
    [InlineData("198.18.2.2", 5351, "WrongSource")] // another LAN host
    [InlineData("198.18.2.1", 5350, "WrongSource")] // the gateway, but not its server port
    [InlineData("203.0.113.10", 5351, "WrongSource")]
    public void Only_the_gateways_server_port_is_believed(string address, int port, string expected)
    {
        var from = new IPEndPoint(IPAddress.Parse(address), port);
        Assert.Equal(Enum.Parse<AnnouncementVerdict>(expected), GatewayAnnouncementListener.Classify(Convert.FromHexString(MiniupnpdAnnounce), from, Gateway, out _));
    }

    [Fact]
    public void Without_a_gateway_nothing_is_believed_and_junk_from_it_is_malformed()
    {
        var from = new IPEndPoint(Gateway, 5351);
        Assert.Equal(AnnouncementVerdict.WrongSource, GatewayAnnouncementListener.Classify(Convert.FromHexString(MiniupnpdAnnounce), from, null, out _));
        Assert.Equal(AnnouncementVerdict.Malformed, GatewayAnnouncementListener.Classify([2, 0x80, 0, 0], from, Gateway, out _));
        Assert.Equal(AnnouncementVerdict.Accepted, GatewayAnnouncementListener.Classify(
            Convert.FromHexString(MiniupnpdAnnounce), new IPEndPoint(Gateway.MapToIPv6(), 5351), Gateway, out _));
    }

    [Fact]
    public void Epoch_that_keeps_pace_is_fine_and_one_that_fell_back_is_a_restart()
    {
        var time = new FakeTimeProvider();
        var epoch = new EpochTracker(time);
        Assert.False(epoch.Observe(1000)); // first sight: nothing to compare with
        time.Advance(TimeSpan.FromSeconds(60));
        Assert.False(epoch.Observe(1060));
        time.Advance(TimeSpan.FromSeconds(60));
        Assert.False(epoch.Observe(1119)); // within 1/16 + 2 s
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(epoch.Observe(3)); // went backwards: the server restarted
        time.Advance(TimeSpan.FromSeconds(100));
        Assert.True(epoch.Observe(40)); // advanced far slower than our clock: it restarted again meanwhile
        time.Advance(TimeSpan.FromSeconds(10));
        Assert.True(epoch.Observe(400)); // advanced far faster than our clock: not the same server state
    }
}
