using System.Net;
using Inroad.WebRtc.Ice;
using Inroad.WebRtc.Sdp;

namespace Inroad.WebRtc.Tests.Sdp;

public sealed class CandidateFilterTests
{
    [Theory]
    [InlineData("10.1.2.3", true, true)]
    [InlineData("172.31.255.255", true, true)]
    [InlineData("192.168.1.1", true, true)]
    [InlineData("100.64.0.1", true, false)]
    [InlineData("127.0.0.1", true, false)]
    [InlineData("169.254.10.10", true, false)]
    [InlineData("198.18.0.1", true, false)]
    [InlineData("203.0.113.7", true, false)]
    [InlineData("224.0.0.251", true, false)]
    [InlineData("255.255.255.255", true, false)]
    [InlineData("0.0.0.0", true, false)]
    [InlineData("8.8.8.8", false, false)]
    [InlineData("1.1.1.1", false, false)]
    [InlineData("172.32.0.1", false, false)]
    [InlineData("::1", true, false)]
    [InlineData("fe80::1", true, false)]
    [InlineData("fd12:3456::1", true, true)]
    [InlineData("2001:db8::1", true, false)]
    [InlineData("ff02::1", true, false)]
    [InlineData("::ffff:10.0.0.1", true, true)]
    [InlineData("::ffff:8.8.8.8", false, false)]
    [InlineData("2a00:1450:4001::200e", false, false)]
    public void Classifies_addresses(string ip, bool bogon, bool isPrivate)
    {
        IPAddress a = IPAddress.Parse(ip);
        Assert.Equal(bogon, CandidateFilter.IsBogon(a));
        Assert.Equal(isPrivate, CandidateFilter.IsPrivate(a));
    }

    [Fact]
    public void Policies_filter_by_bogon_private_family_and_lab_prefixes()
    {
        IceCandidate[] candidates =
        [
            Candidate("8.8.4.4"),
            Candidate("192.168.0.10"),
            Candidate("127.0.0.1"),
            Candidate("2a00:1450:4001::1"),
            Candidate("198.18.1.1"),
        ];
        Assert.Equal(["8.8.4.4", "2a00:1450:4001::1"], Addresses(CandidateFilter.Filter(candidates, new CandidateFilterPolicy())));
        Assert.Equal(["8.8.4.4", "192.168.0.10", "2a00:1450:4001::1"], Addresses(CandidateFilter.Filter(candidates, new CandidateFilterPolicy { AllowPrivate = true })));
        Assert.Equal(["8.8.4.4"], Addresses(CandidateFilter.Filter(candidates, new CandidateFilterPolicy { AllowIPv6 = false })));
        Assert.Equal(
            ["8.8.4.4", "2a00:1450:4001::1", "198.18.1.1"],
            Addresses(CandidateFilter.Filter(candidates, new CandidateFilterPolicy { AlsoAllow = [IPNetwork.Parse("198.18.0.0/15")] })));
    }

    [Fact]
    public void Filters_a_parsed_description()
    {
        Assert.True(SdpParser.TryParse(BrowserSdps.ChromiumOfferGathered, SdpType.Offer, out SessionDescription? d, out _));
        Assert.Empty(CandidateFilter.Filter(d, new CandidateFilterPolicy()).Candidates);
        Assert.Single(CandidateFilter.Filter(d, new CandidateFilterPolicy { AlsoAllow = [IPNetwork.Parse("198.18.0.0/15")] }).Candidates);
    }

    private static IceCandidate Candidate(string ip) => new("1", 1, new IPEndPoint(IPAddress.Parse(ip), 1000), IceCandidateType.Host);

    private static string[] Addresses(IEnumerable<IceCandidate> c) => c.Select(x => x.EndPoint.Address.ToString()).ToArray();
}
