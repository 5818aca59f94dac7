using System.Net;
using Inroad.WebRtc.Ice;
using Inroad.WebRtc.Stun;

namespace Inroad.WebRtc.Tests.Ice;

public sealed class IceAgentTests
{
    private static readonly IPEndPoint AddressA = new(IPAddress.Parse("198.18.0.1"), 40001);
    private static readonly IPEndPoint AddressB = new(IPAddress.Parse("198.18.0.2"), 40002);

    [Fact]
    public void Two_agents_connect_and_select_the_same_pair()
    {
        var (net, a, b) = Pair();
        net.RunUntil(() => Connected(a) && Connected(b), TimeSpan.FromSeconds(10));
        Assert.Equal(IceConnectionState.Connected, a.State);
        Assert.Equal(IceConnectionState.Connected, b.State);
        Assert.Equal(AddressB, a.SelectedPair!.RemoteEndPoint);
        Assert.Equal(AddressA, b.SelectedPair!.RemoteEndPoint);
        Assert.True(a.SelectedPair.Nominated && b.SelectedPair.Nominated);
        Assert.Equal(IceRole.Controlling, a.Role);
        Assert.Equal(IceRole.Controlled, b.Role);
        Assert.InRange(a.TimeToConnected!.Value.TotalMilliseconds, 1, 200);
    }

    [Fact]
    public void Checks_carry_chromiums_attribute_order_and_sizes()
    {
        var (net, a, b) = Pair();
        net.RunUntil(() => Connected(a) && Connected(b), TimeSpan.FromSeconds(10));
        var requests = net.Sent.Select(s => Parse(s.Datagram)).Where(m => m.Class == StunClass.Request).ToList();
        StunMessage fromA = requests.First(m => m.HasAttribute(StunAttributeType.IceControlling));
        StunMessage fromB = requests.First(m => m.HasAttribute(StunAttributeType.IceControlled));
        Assert.Equal(
            new ushort[] { 0x0006, 0xC057, 0x802A, 0x0025, 0x0024, 0x0008, 0x8028 },
            fromA.Attributes.Select(x => x.Type).ToArray());
        Assert.Equal(
            new ushort[] { 0x0006, 0xC057, 0x8029, 0x0024, 0x0008, 0x8028 },
            fromB.Attributes.Select(x => x.Type).ToArray());
        Assert.Equal(100, fromA.Raw.Length);
        Assert.Equal(96, fromB.Raw.Length);
        Assert.True(fromA.TryGetPriority(out uint priority));
        Assert.Equal(1853824767u, priority); // 110<<24 | 32542<<8 | 255, as Chromium
        var response = net.Sent.Select(s => Parse(s.Datagram)).First(m => m.Class == StunClass.SuccessResponse);
        Assert.Equal(64, response.Raw.Length);
        byte[] id = new byte[12];
        fromA.TransactionId.Write(id);
        Assert.All(id, c => Assert.True(char.IsAsciiLetterOrDigit((char)c) || c is (byte)'+' or (byte)'/'));
    }

    [Fact]
    public void Peer_reflexive_candidate_is_learned_when_the_remote_advertised_nothing()
    {
        var (net, a, b) = Pair(giveBCandidatesToA: false);
        net.RunUntil(() => Connected(a) && Connected(b), TimeSpan.FromSeconds(10));
        Assert.Equal(IceConnectionState.Connected, a.State);
        Assert.Equal(IceCandidateType.PeerReflexive, a.SelectedPair!.Remote.Type);
        Assert.Equal(AddressB, a.SelectedPair.RemoteEndPoint);
    }

    [Fact]
    public void Role_conflict_between_two_controlling_agents_resolves()
    {
        var (net, a, b) = Pair(roleB: IceRole.Controlling);
        net.RunUntil(() => Connected(a) && Connected(b), TimeSpan.FromSeconds(10));
        Assert.Equal(IceConnectionState.Connected, a.State);
        Assert.Equal(IceConnectionState.Connected, b.State);
        Assert.NotEqual(a.Role, b.Role);
    }

    [Fact]
    public void Fails_within_the_timeout_when_nothing_gets_through()
    {
        var (net, a, b) = Pair();
        net.Filter = (_, _) => false;
        net.RunUntil(() => a.State == IceConnectionState.Failed && b.State == IceConnectionState.Failed, TimeSpan.FromSeconds(60));
        Assert.Equal(IceConnectionState.Failed, a.State);
        Assert.Equal(IceError.ConnectivityChecksFailed, a.FailureReason);
        Assert.InRange(net.Now.TotalSeconds, 5, 12.01);
    }

    [Fact]
    public void Connects_through_20_percent_loss_and_100ms_delay()
    {
        var (net, a, b) = Pair(seed: 7);
        net.Loss = 0.2;
        net.Delay = TimeSpan.FromMilliseconds(100);
        net.RunUntil(() => Connected(a) && Connected(b), TimeSpan.FromSeconds(12));
        Assert.Equal(IceConnectionState.Connected, a.State);
        Assert.Equal(IceConnectionState.Connected, b.State);
    }

    [Fact]
    public void Disconnects_after_silence_recovers_then_consent_expires()
    {
        var (net, a, b) = Pair();
        net.RunUntil(() => Connected(a) && Connected(b), TimeSpan.FromSeconds(10));
        TimeSpan cut = net.Now;
        net.Filter = (_, _) => false;
        net.RunUntil(() => a.State == IceConnectionState.Disconnected, cut + TimeSpan.FromSeconds(10));
        Assert.Equal(IceConnectionState.Disconnected, a.State);
        Assert.InRange((net.Now - cut).TotalMilliseconds, 5000, 5100);
        net.Filter = (_, _) => true;
        net.RunUntil(() => a.State == IceConnectionState.Connected && b.State == IceConnectionState.Connected, net.Now + TimeSpan.FromSeconds(5));
        Assert.Equal(IceConnectionState.Connected, a.State);

        cut = net.Now;
        net.Filter = (_, _) => false;
        net.RunUntil(() => a.State == IceConnectionState.Failed, cut + TimeSpan.FromSeconds(60));
        Assert.Equal(IceConnectionState.Failed, a.State);
        Assert.Equal(IceError.ConsentExpired, a.FailureReason);
        Assert.InRange((net.Now - cut).TotalSeconds, 20, 30.01); // 30 s after the last answered check, which preceded the cut
    }

    [Fact]
    public void Consent_checks_keep_a_quiet_session_connected()
    {
        var (net, a, b) = Pair();
        net.RunUntil(() => Connected(a) && Connected(b), TimeSpan.FromSeconds(10));
        int before = net.Sent.Count;
        net.RunUntil(() => false, net.Now + TimeSpan.FromSeconds(120));
        Assert.Equal(IceConnectionState.Connected, a.State);
        Assert.Equal(IceConnectionState.Connected, b.State);
        int consent = net.Sent.Count - before;
        Assert.InRange(consent, 2 * 2 * 120 / 3, 2 * 2 * 120 / 2); // one request + response per agent every 2–3 s
        Assert.DoesNotContain(net.Sent.Skip(before), s => Parse(s.Datagram).Class == StunClass.ErrorResponse);
    }

    private static bool Connected(IceAgent a) => a.State == IceConnectionState.Connected;

    private static StunMessage Parse(byte[] d)
    {
        Assert.True(StunMessage.TryRead(d, out StunMessage? m));
        return m;
    }

    internal static (SimulatedNetwork Net, IceAgent A, IceAgent B) Pair(
        IceRole roleB = IceRole.Controlled, bool giveBCandidatesToA = true, int seed = 1)
    {
        var net = new SimulatedNetwork(seed);
        var a = new IceAgent(new IceAgentOptions { Role = IceRole.Controlling, Seed = seed });
        var b = new IceAgent(new IceAgentOptions { Role = roleB, Seed = seed + 1 });
        IceCandidate hostA = IceCandidate.CreateLocal(IceCandidateType.Host, AddressA, AddressA.Address, IceCandidate.DefaultLocalPreference);
        IceCandidate hostB = IceCandidate.CreateLocal(IceCandidateType.Host, AddressB, AddressB.Address, IceCandidate.DefaultLocalPreference);
        a.AddLocalCandidate(hostA, isBase: true);
        b.AddLocalCandidate(hostB, isBase: true);
        a.SetRemoteCredentials(b.LocalCredentials.Ufrag, b.LocalCredentials.Password);
        b.SetRemoteCredentials(a.LocalCredentials.Ufrag, a.LocalCredentials.Password);
        if (giveBCandidatesToA)
        {
            a.AddRemoteCandidate(hostB);
        }

        b.AddRemoteCandidate(hostA);
        net.Add(AddressA, a);
        net.Add(AddressB, b);
        a.Start(TimeSpan.Zero);
        b.Start(TimeSpan.Zero);
        return (net, a, b);
    }
}
