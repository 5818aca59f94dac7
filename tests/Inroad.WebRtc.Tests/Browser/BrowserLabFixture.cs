using System.Net;
using Inroad.Testing.Browser;
using Inroad.Testing.NetLab;

namespace Inroad.WebRtc.Tests.Browser;

/// <summary>
/// A namespace lab (both NATs full cone, coturn on <c>stun</c>) with headless browsers in <c>client</c> (behind natA)
/// and room for our peer in <c>proxy</c> (behind natB): every packet between them crosses both NAT routers and the
/// lab's public router. The browsers use coturn for server-reflexive candidates; full-cone NATs also let a prober on
/// <c>server</c> reach either peer's ICE port. Lab and browsers are made on first use and shared by the tests of a
/// class (each test is a job with a fresh RTCPeerConnection); dispose kills the browsers and tears the lab down.
/// </summary>
public sealed class BrowserLabFixture : IAsyncDisposable
{
    private readonly BrowserPool _browsers = new();
    private NetLab? _lab;

    /// <summary>What the browsers' pages pass as their STUN server.</summary>
    internal static string StunServer => $"{NetLabHosts.StunPrimary}:3478";

    /// <summary>The lab (after <see cref="GetAsync"/>).</summary>
    internal NetLab Lab => _lab ?? throw new InvalidOperationException("No lab yet.");

    /// <summary>The lab with a running browser of <paramref name="kind"/> in <c>client</c>; skips without root or the browser (fails under CI).</summary>
    internal Task<BrowserHarness> GetAsync(BrowserKind kind, CancellationToken cancellationToken) =>
        _browsers.GetAsync(
            kind,
            () => BrowserHarness.Start(kind, BrowserPage.Html, Lab.Namespace(NetLabHosts.Client), NetLabHosts.ClientAddress),
            cancellationToken,
            prepare: async () => _lab ??= await NetLab.CreateAsync(new NetLabTopology { NatA = NatBehavior.FullCone, NatB = NatBehavior.FullCone }, cancellationToken));

    public async ValueTask DisposeAsync()
    {
        await _browsers.DisposeAsync();
        if (_lab is not null)
        {
            await _lab.DisposeAsync();
        }
    }

    /// <summary>Our peer's options in <c>proxy</c>: its lab address as the only host address, coturn for the reflexive one.</summary>
    internal static Inroad.WebRtc.PeerConnection.RtcPeerOptions PeerOptions(Inroad.WebRtc.Dtls.DtlsProfileChoice choice, byte[]? seed = null) => new()
    {
        HostAddresses = [NetLabHosts.ProxyAddress],
        StunServers = [NetLabHosts.StunEndPoint],
        ProfileChoice = choice,
        ShapeSeed = seed,
        ConnectTimeout = TimeSpan.FromSeconds(20),
    };

    internal static IPAddress BrowserAddress => NetLabHosts.ClientAddress;
}
