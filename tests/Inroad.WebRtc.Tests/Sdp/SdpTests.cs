using System.Net;
using Inroad.WebRtc.Ice;
using Inroad.WebRtc.Sdp;

namespace Inroad.WebRtc.Tests.Sdp;

public sealed class SdpTests
{
    [Fact]
    public void Parses_chromiums_gathered_offer()
    {
        Assert.True(SdpParser.TryParse(BrowserSdps.ChromiumOfferGathered, SdpType.Offer, out SessionDescription? d, out string? error), error);
        Assert.Equal(new IceCredentials("COmM", "8Gg+xfQL+fxQFnJ6MQliPvtk"), d.IceCredentials);
        Assert.Equal("sha-256", d.FingerprintAlgorithm);
        Assert.Equal(32, d.Fingerprint.Length);
        Assert.Equal(0x45, d.Fingerprint[0]);
        Assert.Equal(DtlsSetupRole.ActPass, d.Setup);
        Assert.Equal("0", d.Mid);
        Assert.Equal(5000, d.SctpPort);
        Assert.Equal(262144, d.MaxMessageSize);
        IceCandidate c = Assert.Single(d.Candidates);
        Assert.Equal(new IPEndPoint(IPAddress.Parse("198.18.0.1"), 38008), c.EndPoint);
        Assert.Equal(2122260223u, c.Priority);
        Assert.Equal(IceCandidateType.Host, c.Type);
        Assert.Equal("3560111859992010274", d.SessionId);
    }

    [Fact]
    public void Writes_chromiums_offer_byte_for_byte_from_the_same_inputs()
    {
        Assert.True(SdpParser.TryParse(BrowserSdps.ChromiumOfferGathered, SdpType.Offer, out SessionDescription? parsed, out _));
        var ours = SessionDescription.CreateOffer(parsed.IceCredentials, parsed.Fingerprint, parsed.Candidates) with
        {
            SessionId = "3560111859992010274",
        };
        Assert.Equal(BrowserSdps.ChromiumOfferGathered.Replace("\n", "\r\n", StringComparison.Ordinal), ours.ToString());
    }

    [Fact]
    public void Answer_to_an_offer_is_shaped_like_chromiums()
    {
        Assert.True(SdpParser.TryParse(BrowserSdps.ChromiumAnswer, SdpType.Answer, out SessionDescription? chromium, out _));
        Assert.True(SdpParser.TryParse(BrowserSdps.ChromiumOfferGathered, SdpType.Offer, out SessionDescription? offer, out _));
        var ours = SessionDescription.CreateAnswer(offer, chromium.IceCredentials, chromium.Fingerprint, []) with { SessionId = "5576134117032636940" };
        Assert.Equal(DtlsSetupRole.Active, ours.Setup);
        Assert.Equal(BrowserSdps.ChromiumAnswer.Replace("\n", "\r\n", StringComparison.Ordinal), ours.ToString());
    }

    [Theory]
    [InlineData(BrowserSdps.FirefoxOfferGathered, "actpass", "46a58b56", 47544)]
    [InlineData(BrowserSdps.FirefoxAnswerGathered, "active", "baad194f", 35155)]
    public void Parses_firefoxs_descriptions_skipping_tcp_candidates(string sdp, string setup, string ufrag, int port)
    {
        Assert.True(SdpParser.TryParse(sdp, SdpType.Answer, out SessionDescription? d, out string? error), error);
        Assert.Equal(ufrag, d.IceCredentials.Ufrag);
        Assert.Equal(32, d.IceCredentials.Password.Length);
        Assert.Equal(setup, d.Setup.ToString().ToLowerInvariant());
        Assert.Equal(32, d.Fingerprint.Length); // session-level a=fingerprint
        Assert.Equal(1073741823, d.MaxMessageSize);
        Assert.True(d.EndOfCandidates);
        IceCandidate c = Assert.Single(d.Candidates);
        Assert.Equal(port, c.EndPoint.Port);
        Assert.Equal(2122252543u, c.Priority);
    }

    [Fact]
    public void Round_trips_our_own_description_with_ipv6_srflx_and_end_of_candidates()
    {
        var host = IceCandidate.CreateLocal(IceCandidateType.Host, new IPEndPoint(IPAddress.Parse("2001:db8::2"), 5001), IPAddress.Parse("2001:db8::2"), 32542);
        var srflx = IceCandidate.CreateLocal(
            IceCandidateType.ServerReflexive,
            new IPEndPoint(IPAddress.Parse("203.0.113.5"), 6000),
            IPAddress.Parse("198.18.0.5"),
            32542,
            new IPEndPoint(IPAddress.Parse("198.18.0.5"), 5001));
        var offer = SessionDescription.CreateOffer(IceCredentials.NewChromium(), new byte[32], [host, srflx]) with { EndOfCandidates = true };
        string text = offer.ToString();
        Assert.Contains("c=IN IP6 2001:db8::2\r\n", text, StringComparison.Ordinal);
        Assert.Contains("typ srflx raddr 198.18.0.5 rport 5001 generation 0 network-id 1", text, StringComparison.Ordinal);
        Assert.True(SdpParser.TryParse(text, SdpType.Offer, out SessionDescription? back, out _));
        Assert.Equal(offer.IceCredentials, back.IceCredentials);
        Assert.Equal(offer.Candidates, back.Candidates);
        Assert.True(back.EndOfCandidates);
        Assert.Matches("^[0-9]{1,19}$", offer.SessionId);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=ice-ufrag:abcd\r\n", "no m=application")]
    [InlineData("v=0\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=ice-ufrag:ab\r\na=ice-pwd:x\r\n", "ice-ufrag")]
    [InlineData("v=0\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\na=fingerprint:sha-256 zz\r\na=setup:active\r\n", "fingerprint")]
    public void Refuses_unusable_descriptions_with_a_reason(string sdp, string reasonFragment)
    {
        Assert.False(SdpParser.TryParse(sdp, SdpType.Answer, out _, out string? error));
        Assert.Contains(reasonFragment, error!, StringComparison.Ordinal);
    }

    [Fact]
    public void Random_and_mutated_text_never_throws()
    {
        var random = new Random(5);
        string[] seeds = [BrowserSdps.ChromiumOfferGathered, BrowserSdps.FirefoxOfferGathered];
        for (int i = 0; i < 3000; i++)
        {
            char[] chars = seeds[i % 2].ToCharArray();
            for (int k = 0; k < 1 + (i % 5); k++)
            {
                chars[random.Next(chars.Length)] = (char)random.Next(0x20, 0x7f);
            }

            string text = new(chars, 0, random.Next(chars.Length));
            if (SdpParser.TryParse(text, SdpType.Offer, out SessionDescription? d, out _))
            {
                Assert.True(SdpParser.TryParse(d.ToString(), SdpType.Offer, out _, out _));
            }
        }
    }
}
