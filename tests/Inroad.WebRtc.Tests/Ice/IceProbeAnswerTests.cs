using System.Net;
using Inroad.WebRtc.Ice;
using Inroad.WebRtc.Stun;

namespace Inroad.WebRtc.Tests.Ice;

/// <summary>
/// What the agent answers to a censor's STUN probes: Chromium's answers from probe-answers.md §3–6, corrected by our
/// own measurement against a live Chromium 156 (BrowserLabTests.Our_peer_answers_every_probe_as_a_live_Chromium_does):
/// no PRIORITY gets 400 without MESSAGE-INTEGRITY, no role attribute gets success, and only unknown attributes in
/// 0x4000–0x7FFF get 420 (below 0x4000 they are ignored).
/// </summary>
public sealed class IceProbeAnswerTests
{
    private static readonly IPEndPoint Prober = new(IPAddress.Parse("203.0.113.66"), 5555);

    [Fact]
    public void Silence_for_non_stun_bare_binding_and_bad_fingerprint()
    {
        IceAgent agent = Controlled(out _);
        Assert.False(agent.HandleDatagram([0x16, 0xfe, 0xfd, 0, 0, 0, 0], Prober, TimeSpan.Zero));
        byte[] bare = new byte[20];
        var w = new StunMessageWriter(bare, StunClass.Request, StunMethod.Binding, StunTransactionId.NewRandom());
        Assert.True(w.TryComplete(out _));
        agent.HandleDatagram(bare, Prober, TimeSpan.Zero);
        byte[] check = Check(agent.LocalCredentials, "abcd");
        check[^1] ^= 1;
        agent.HandleDatagram(check, Prober, TimeSpan.Zero);
        Assert.False(agent.TryDequeueTransmit(out _));
    }

    [Theory]
    [InlineData("fingerprint-only", 400, false)]
    [InlineData("username-without-integrity", 400, false)]
    [InlineData("unknown-ufrag", 401, false)]
    [InlineData("wrong-key", 401, false)]
    [InlineData("no-priority", 400, false)]
    [InlineData("no-role", 0, true)]
    [InlineData("unknown-required-attribute-0031", 0, true)]
    [InlineData("unknown-required-attribute-3fff", 0, true)]
    [InlineData("unknown-required-attribute-4000", 420, true)]
    [InlineData("unknown-required-attribute-7fff", 420, true)]
    public void Answers_to_malformed_checks_match_chromium(string probe, int expectedCode, bool expectIntegrity)
    {
        IceAgent agent = Controlled(out IceCredentials local);
        byte[] buffer = new byte[256];
        var w = new StunMessageWriter(buffer, StunClass.Request, StunMethod.Binding, StunTransactionId.NewRandom());
        switch (probe)
        {
            case "fingerprint-only":
                break;
            case "username-without-integrity":
                w.AddString(StunAttributeType.Username, $"{local.Ufrag}:abcd");
                break;
            default:
                string ufrag = probe == "unknown-ufrag" ? "zzzz" : local.Ufrag;
                w.AddString(StunAttributeType.Username, $"{ufrag}:abcd");
                if (probe != "no-role")
                {
                    w.AddUInt64(StunAttributeType.IceControlling, 42);
                }

                if (probe != "no-priority")
                {
                    w.AddUInt32(StunAttributeType.Priority, 1853824767);
                }

                if (probe.StartsWith("unknown-required-attribute-", StringComparison.Ordinal))
                {
                    w.AddUInt32(Convert.ToUInt16(probe[^4..], 16), 0);
                }

                w.AddMessageIntegrity(StunIntegrity.ShortTermKey(probe == "wrong-key" ? "wrongwrongwrongwrongwrong" : local.Password));
                break;
        }

        w.AddFingerprint();
        Assert.True(w.TryComplete(out int n));
        agent.HandleDatagram(buffer.AsSpan(0, n), Prober, TimeSpan.Zero);
        Assert.True(agent.TryDequeueTransmit(out IceTransmit t));
        Assert.Equal(Prober, t.Destination);
        Assert.True(StunMessage.TryRead(t.Datagram, out StunMessage? answer));
        Assert.Equal(expectedCode == 0 ? StunClass.SuccessResponse : StunClass.ErrorResponse, answer.Class);
        Assert.Equal(expectedCode, answer.TryGetErrorCode(out int code, out _) ? code : 0);
        Assert.Equal(expectIntegrity, answer.HasAttribute(StunAttributeType.MessageIntegrity));
        Assert.True(answer.HasValidFingerprint());
        if (expectedCode == 420)
        {
            Assert.Equal(new ushort[] { Convert.ToUInt16(probe[^4..], 16) }, answer.GetUnknownAttributesList());
        }

        Assert.Equal(IceConnectionState.New, agent.State);
    }

    [Fact]
    public void Valid_check_gets_a_64_byte_success_with_xor_mapped_address_integrity_and_fingerprint()
    {
        IceAgent agent = Controlled(out IceCredentials local);
        agent.HandleDatagram(Check(local, "abcd"), Prober, TimeSpan.Zero);
        Assert.True(agent.TryDequeueTransmit(out IceTransmit t));
        Assert.Equal(64, t.Datagram.Length);
        Assert.True(StunMessage.TryRead(t.Datagram, out StunMessage? answer));
        Assert.Equal(new[] { StunAttributeType.XorMappedAddress, StunAttributeType.MessageIntegrity, StunAttributeType.Fingerprint }, answer.Attributes.Select(a => a.Type));
        Assert.True(answer.VerifyMessageIntegrity(StunIntegrity.ShortTermKey(local.Password)));
        Assert.True(answer.TryGetXorMappedAddress(out IPEndPoint? mapped));
        Assert.Equal(Prober, mapped);
    }

    [Fact]
    public void Our_agent_answers_chromiums_captured_check_when_it_holds_the_offer_credentials()
    {
        var agent = new IceAgent(new IceAgentOptions
        {
            Role = IceRole.Controlling,
            LocalCredentials = new IceCredentials(Stun.BrowserCaptures.ChromiumOfferUfrag, Stun.BrowserCaptures.ChromiumOfferPwd),
        });
        var from = new IPEndPoint(IPAddress.Parse("198.18.0.1"), 44753);
        byte[] check = Stun.BrowserCaptures.Bytes(Stun.BrowserCaptures.ChromiumControlledCheck);
        agent.HandleDatagram(check, from, TimeSpan.Zero);
        Assert.True(agent.TryDequeueTransmit(out IceTransmit t));

        // Chromium's own answer (frame 2) is byte for byte what we send.
        Assert.Equal(Stun.BrowserCaptures.ChromiumControlledCheckResponse, Convert.ToHexStringLower(t.Datagram));
    }

    [Fact]
    public void A_stranger_with_the_credentials_flips_our_role_as_Chromium_does_but_not_the_selected_pair_or_the_session()
    {
        var (net, a, b) = IceAgentTests.Pair();
        net.RunUntil(() => a.State == IceConnectionState.Connected && b.State == IceConnectionState.Connected, TimeSpan.FromSeconds(10));
        IPEndPoint selected = b.SelectedPair!.RemoteEndPoint;
        Assert.Equal(IceRole.Controlled, b.Role);

        // A role conflict the stranger loses (ICE-CONTROLLED to the controlled side, largest tie-breaker): 487, twice.
        b.HandleDatagram(Check(b.LocalCredentials, "abcd", controlling: false, tieBreaker: ulong.MaxValue), Prober, net.Now);
        List<IceTransmit> answers = net.Drain(b);
        Assert.Equal([487, 487], answers.Select(Code));

        // One it wins (smallest tie-breaker): success, and we take the controlling role, as Chromium does.
        b.HandleDatagram(Check(b.LocalCredentials, "abcd", controlling: false, tieBreaker: 0), Prober, net.Now);
        Assert.Equal([0], net.Drain(b).Select(Code));
        Assert.Equal(IceRole.Controlling, b.Role);

        // A USE-CANDIDATE check from the stranger (no conflict with our new role) moves nothing.
        b.HandleDatagram(Check(b.LocalCredentials, "abcd", controlling: false, tieBreaker: 1, useCandidate: true), Prober, net.Now);
        answers = net.Drain(b);
        Assert.Equal([0], answers.Select(Code));
        Assert.All(answers, x => Assert.Equal(Prober, x.Destination)); // no checks of our own to the stranger

        // The real peers settle the roles again through their consent checks and stay up on the same pair.
        net.RunUntil(() => false, net.Now + TimeSpan.FromSeconds(60));
        Assert.Equal(IceConnectionState.Connected, a.State);
        Assert.Equal(IceConnectionState.Connected, b.State);
        Assert.NotEqual(a.Role, b.Role);
        Assert.Equal(selected, b.SelectedPair!.RemoteEndPoint);
    }

    private static int Code(IceTransmit t)
    {
        Assert.True(StunMessage.TryRead(t.Datagram, out StunMessage? m));
        return m.TryGetErrorCode(out int code, out _) ? code : 0;
    }

    [Fact]
    public void Peer_reflexive_pairs_from_many_sources_are_bounded()
    {
        IceAgent agent = Controlled(out IceCredentials local);
        agent.SetRemoteCredentials("abcd", "abcdefghijklmnopqrstuvwx");
        for (int i = 0; i < 500; i++)
        {
            agent.HandleDatagram(Check(local, "abcd"), new IPEndPoint(IPAddress.Parse("203.0.113.7"), 1000 + i), TimeSpan.Zero);
        }

        Assert.Equal(IceAgent.MaxPairs, agent.Pairs.Count);
        Assert.Equal(500, new SimulatedNetwork().Drain(agent).Count); // every valid check is still answered
    }

    private static IceAgent Controlled(out IceCredentials local)
    {
        var agent = new IceAgent(new IceAgentOptions { Role = IceRole.Controlled });
        local = agent.LocalCredentials;
        var host = new IPEndPoint(IPAddress.Parse("198.18.0.9"), 4000);
        agent.AddLocalCandidate(IceCandidate.CreateLocal(IceCandidateType.Host, host, host.Address, IceCandidate.DefaultLocalPreference), isBase: true);
        return agent;
    }

    private static byte[] Check(IceCredentials target, string remoteUfrag, bool controlling = true, ulong tieBreaker = 42, bool useCandidate = false)
    {
        byte[] buffer = new byte[256];
        var w = new StunMessageWriter(buffer, StunClass.Request, StunMethod.Binding, StunTransactionId.NewChromium());
        w.AddString(StunAttributeType.Username, $"{target.Ufrag}:{remoteUfrag}");
        w.AddUInt64(controlling ? StunAttributeType.IceControlling : StunAttributeType.IceControlled, tieBreaker);
        if (useCandidate)
        {
            w.AddEmpty(StunAttributeType.UseCandidate);
        }

        w.AddUInt32(StunAttributeType.Priority, 1853824767);
        w.AddMessageIntegrity(StunIntegrity.ShortTermKey(target.Password));
        w.AddFingerprint();
        Assert.True(w.TryComplete(out int n));
        return buffer[..n];
    }
}
