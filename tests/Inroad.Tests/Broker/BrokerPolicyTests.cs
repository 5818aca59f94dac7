using System.Net;
using Inroad.Broker.Compartments;
using Inroad.Broker.Destinations;
using Inroad.Broker.Matching;
using Inroad.Broker.Sdp;
using Inroad.Geo;
using Inroad.Protocol;

namespace Inroad.Tests.Broker;

public sealed class BrokerPolicyTests
{
    private static readonly byte[] NetworkSeed = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();

    private static ServerEntry Entry(string tag = "srv-1") => new()
    {
        Tag = tag,
        IpAddress = "192.0.2.10",
        SessionPublicKey = new byte[32],
        ObfuscationSecret = new byte[32],
        Capabilities = [new InproxyCapability("INPROXY-WEBRTC-OSSH", 0, 9443), new InproxyCapability("INPROXY-WEBRTC-QUIC-OSSH", 1, 9444), new InproxyCapability("OSSH", 0, 22)],
    };

    private static DestinationCheck Check() => new(SignedServerEntry.PublicKeyOf(NetworkSeed), tag => tag == "srv-1");

    [Fact]
    public void Consistent_hashing_is_stable_and_spreads_proxies()
    {
        Id32[] ids = Enumerable.Range(1, 5).Select(i => MatcherFixture.IdOf((byte)i)).ToArray();
        var compartments = new CommonCompartments(ids);
        var fewer = new CommonCompartments(ids[..4]);
        var counts = new Dictionary<Id32, int>();
        int moved = 0;
        var random = new Random(3);
        byte[] proxy = new byte[32];
        for (int i = 0; i < 2_000; i++)
        {
            random.NextBytes(proxy);
            Id32 proxyId = Id32.From(proxy);
            Assert.True(compartments.TryAssign(proxyId, null, out Id32 c));
            Assert.True(compartments.TryAssign(proxyId, null, out Id32 again));
            Assert.Equal(c, again);
            counts[c] = counts.GetValueOrDefault(c) + 1;
            Assert.True(fewer.TryAssign(proxyId, null, out Id32 d));
            if (c != ids[4])
            {
                Assert.Equal(c, d); // withdrawing one ID moves only the proxies that were on it
            }
            else
            {
                moved++;
            }
        }

        Assert.Equal(5, counts.Count);
        Assert.All(counts.Values, n => Assert.InRange(n, 250, 550));
        Assert.InRange(moved, 250, 550);
    }

    [Fact]
    public void Sponsor_override_wins_and_is_excluded_from_hashing()
    {
        Id32 a = MatcherFixture.IdOf(1), sponsored = MatcherFixture.IdOf(2);
        var compartments = new CommonCompartments([a, sponsored], new Dictionary<string, Id32> { ["S1"] = sponsored });
        Assert.True(compartments.TryAssign(Id32.NewRandom(), "S1", out Id32 c));
        Assert.Equal(sponsored, c);
        for (int i = 0; i < 50; i++)
        {
            Assert.True(compartments.TryAssign(Id32.NewRandom(), "other", out Id32 h));
            Assert.Equal(a, h);
        }

        Assert.False(new CommonCompartments([]).TryAssign(Id32.NewRandom(), null, out _));
    }

    [Fact]
    public void Pairing_strings_round_trip_and_reject_typos()
    {
        Id32 id = Id32.NewRandom();
        string text = PairingString.Encode(id);
        Assert.StartsWith("inroad-pair:", text, StringComparison.Ordinal);
        Assert.True(PairingString.TryDecode(text, out Id32 back));
        Assert.Equal(id, back);

        char[] typo = text.ToCharArray();
        typo[20] = typo[20] == 'A' ? 'B' : 'A';
        Assert.False(PairingString.TryDecode(new string(typo), out _));
        Assert.False(PairingString.TryDecode(text[..^2], out _));
        Assert.False(PairingString.TryDecode("garbage", out _));
        Assert.Equal("Id32(redacted)", id.ToString());
    }

    [Fact]
    public void Destination_with_valid_signature_tag_and_capability_is_allowed()
    {
        byte[] signed = SignedServerEntry.Sign(Entry(), NetworkSeed);
        Assert.Equal(DestinationVerdict.Allowed, Check().Check(signed, 0, "192.0.2.10:9443", out ServerEntry? entry));
        Assert.Equal(32, entry!.SessionPublicKey.Length);
        Assert.Equal(DestinationVerdict.Allowed, Check().Check(signed, 1, "192.0.2.10:9444", out _));
    }

    [Fact]
    public void Destination_signed_by_another_key_is_refused()
    {
        byte[] otherSeed = new byte[32];
        byte[] signed = SignedServerEntry.Sign(Entry(), otherSeed);
        Assert.Equal(DestinationVerdict.BadSignature, Check().Check(signed, 0, "192.0.2.10:9443", out _));
    }

    [Fact]
    public void Tampered_entry_is_refused()
    {
        byte[] signed = SignedServerEntry.Sign(Entry(), NetworkSeed);
        int at = Array.IndexOf(signed, (byte)'1'); // inside "192.0.2.10"
        signed[at] = (byte)'2';
        Assert.NotEqual(DestinationVerdict.Allowed, Check().Check(signed, 0, "192.0.2.10:9443", out _));
    }

    [Fact]
    public void Destination_with_retired_tag_is_refused()
    {
        byte[] signed = SignedServerEntry.Sign(Entry("srv-old"), NetworkSeed);
        Assert.Equal(DestinationVerdict.InvalidTag, Check().Check(signed, 0, "192.0.2.10:9443", out _));
    }

    [Theory]
    [InlineData(0, "192.0.2.10:9444", "NoCapability")] // QUIC port over TCP
    [InlineData(0, "192.0.2.10:22", "NoCapability")]   // not an in-proxy listener
    [InlineData(0, "192.0.2.11:9443", "WrongAddress")]
    [InlineData(0, "example.com:9443", "WrongAddress")]
    [InlineData(0, "192.0.2.10", "WrongAddress")]
    public void Destination_must_be_an_in_proxy_listener_of_the_entry(int network, string address, string expected)
    {
        byte[] signed = SignedServerEntry.Sign(Entry(), NetworkSeed);
        Assert.Equal(Enum.Parse<DestinationVerdict>(expected), Check().Check(signed, network, address, out _));
    }

    [Fact]
    public void Garbage_entries_are_refused_without_throwing()
    {
        var random = new Random(5);
        byte[] signed = SignedServerEntry.Sign(Entry(), NetworkSeed);
        for (int i = 0; i < 2_000; i++)
        {
            byte[] input = (byte[])signed.Clone();
            input[random.Next(input.Length)] ^= (byte)random.Next(1, 256);
            Assert.NotEqual(DestinationVerdict.Allowed, Check().Check(input, 0, "192.0.2.10:9443", out _));
        }
    }

    private sealed class FakeGeo : IGeoLookup
    {
        public GeoKey Lookup(IPAddress address) => address.ToString() switch
        {
            "8.8.8.8" => GeoKey.From("US", 15169),
            "5.6.7.8" => GeoKey.From("IR", 100),
            "2a00::1" => GeoKey.From("DE", 3320),
            _ => GeoKey.Unknown,
        };
    }

    private const string Sdp =
        "v=0\r\n" +
        "a=candidate:1 1 udp 2122260223 192.168.1.5 50000 typ host\r\n" +
        "a=candidate:2 1 udp 1686052607 5.6.7.8 50001 typ srflx raddr 0.0.0.0 rport 0\r\n" +
        "a=candidate:3 1 udp 1686052607 8.8.8.8 50002 typ srflx\r\n" +
        "a=candidate:4 1 udp 2122260223 abcd.local 50003 typ host\r\n" +
        "a=candidate:5 1 udp 2122260223 2a00::1 50004 typ host\r\n" +
        "a=candidate:6 1 udp 2122260223 127.0.0.1 50005 typ host\r\n" +
        "a=end-of-candidates\r\n";

    [Fact]
    public void Common_mode_keeps_only_public_candidates_in_the_peers_network()
    {
        var filter = new CandidateFilter(new FakeGeo());
        Assert.True(filter.TryFilter(Sdp, GeoKey.From("IR", 100), personal: false, isAnswer: true, out string filtered, out CandidateFilterResult result));
        Assert.Contains("5.6.7.8", filtered, StringComparison.Ordinal);
        Assert.DoesNotContain("8.8.8.8", filtered, StringComparison.Ordinal);
        Assert.DoesNotContain("192.168.1.5", filtered, StringComparison.Ordinal);
        Assert.DoesNotContain(".local", filtered, StringComparison.Ordinal);
        Assert.DoesNotContain("127.0.0.1", filtered, StringComparison.Ordinal);
        Assert.DoesNotContain("2a00::1", filtered, StringComparison.Ordinal); // IPv6: ASN differs
        Assert.Contains("a=end-of-candidates\r\n", filtered, StringComparison.Ordinal);
        Assert.StartsWith("v=0\r\n", filtered, StringComparison.Ordinal);
        Assert.Equal(1, result.Kept);
        Assert.Equal(5, result.Dropped);
    }

    [Fact]
    public void Personal_mode_keeps_private_and_mismatching_candidates_and_counts_them()
    {
        var filter = new CandidateFilter(new FakeGeo());
        Assert.True(filter.TryFilter(Sdp, GeoKey.From("IR", 100), personal: true, isAnswer: true, out string filtered, out CandidateFilterResult result));
        Assert.Contains("192.168.1.5", filtered, StringComparison.Ordinal);
        Assert.Contains("8.8.8.8", filtered, StringComparison.Ordinal);
        Assert.DoesNotContain("127.0.0.1", filtered, StringComparison.Ordinal); // loopback is not private
        Assert.Equal(2, result.GeoMismatches);
        Assert.Equal("US", result.FirstMismatch.CountryCode);
    }

    [Fact]
    public void An_answer_left_without_candidates_is_refused_but_an_offer_is_not()
    {
        var filter = new CandidateFilter(new FakeGeo());
        const string onlyPrivate = "v=0\r\na=candidate:1 1 udp 1 10.0.0.1 1 typ host\r\n";
        Assert.False(filter.TryFilter(onlyPrivate, GeoKey.Unknown, personal: false, isAnswer: true, out _, out _));
        Assert.True(filter.TryFilter(onlyPrivate, GeoKey.Unknown, personal: false, isAnswer: false, out string offer, out _));
        Assert.DoesNotContain("10.0.0.1", offer, StringComparison.Ordinal);
        Assert.True(new CandidateFilter(new FakeGeo(), allowBogons: true).TryFilter(onlyPrivate, GeoKey.Unknown, false, true, out _, out _));
    }

    [Theory]
    [InlineData("10.1.2.3", true)]
    [InlineData("100.64.0.1", true)]
    [InlineData("169.254.1.1", true)]
    [InlineData("198.18.0.1", true)]
    [InlineData("224.0.0.1", true)]
    [InlineData("::1", true)]
    [InlineData("fd00::1", true)]
    [InlineData("fe80::1", true)]
    [InlineData("2001:db8::1", true)]
    [InlineData("::ffff:10.0.0.1", true)]
    [InlineData("8.8.8.8", false)]
    [InlineData("2a00:1450::1", false)]
    public void Bogon_ranges(string address, bool bogon) => Assert.Equal(bogon, CandidateFilter.IsBogon(IPAddress.Parse(address)));
}
