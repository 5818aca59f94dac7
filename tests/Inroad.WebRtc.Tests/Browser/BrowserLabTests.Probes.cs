using System.Net.Sockets;
using System.Net;
using System.Text.RegularExpressions;
using System.Text;
using Inroad.Testing.Browser;
using Inroad.Testing.NetLab;
using Inroad.WebRtc.Dtls;
using Inroad.WebRtc.PeerConnection;
using Inroad.WebRtc.Stun;
using Inroad.WebRtc.Tests.Dtls;

namespace Inroad.WebRtc.Tests.Browser;

/// <summary>
/// Probe answers measured, not assumed: a prober on the lab's <c>server</c> host (a stranger to both peers) sends
/// the same probes to a live Chromium's ICE port and to ours (each through its full-cone NAT), once before ICE
/// (Chromium has made its offer; we have made our answer; nobody has checked) and once while the session is up,
/// and our answer to each probe must be Chromium's: silence, or a STUN answer of the same class, error code,
/// attribute list and size. The session must survive the probes. Role-conflict checks are left out: their answer
/// depends on each peer's random tie-breaker (IceProbeAnswerTests covers them).
/// </summary>
public sealed partial class BrowserLabTests
{
    /// <summary>How long each probe's socket listens for answers: every probe of a batch at once, so about once per batch.</summary>
    private static readonly TimeSpan ProbeWindow = TimeSpan.FromMilliseconds(700);

    /// <summary>
    /// How much longer the socket that heard less listens when the two peers' answers to a probe differ in number: on a
    /// loaded machine an answer can come after <see cref="ProbeWindow"/>, and it still reaches the socket it was meant for.
    /// Only a difference pays for it, so matching answers keep the test short.
    /// </summary>
    private static readonly TimeSpan LateWindow = TimeSpan.FromSeconds(3);

    [Fact]
    public async Task Our_peer_answers_every_probe_as_a_live_Chromium_does()
    {
        var (browser, deadline) = await StartAsync(BrowserKind.Chromium);
        using CancellationTokenSource bound = deadline;
        deadline.CancelAfter(TimeSpan.FromSeconds(60));
        CancellationToken ct = deadline.Token;
        NetLab lab = fixture.Lab;

        browser.StartJob("offer", "handshake", stun: BrowserLabFixture.StunServer);
        string offer = await browser.TakeAsync("offer", ct);
        RtcPeerOptions options = BrowserLabFixture.PeerOptions(Only(DtlsProfileKind.Firefox12));
        var (peer, answer) = await lab.RunIn(NetLabHosts.Proxy, () => RtcPeerConnection.CreateAnswerAsync(options, offer, ct));
        await using (peer)
        {
            var chromium = Target.FromSdp("Chromium", offer, controlling: true);
            var ours = Target.FromSdp("ours", answer, controlling: false);
            output.WriteLine($"Chromium at {chromium.EndPoint} (ufrag {chromium.Ufrag}), ours at {ours.EndPoint} (ufrag {ours.Ufrag})");

            var table = new List<string>();
            var mismatches = new List<string>();
            async Task PhaseAsync(string phase, bool connected)
            {
                // All probes of a phase at once, each from its own socket (one listening window for the lot); the
                // credentialed stranger checks go last, one at a time, since a peer may react to each.
                var probes = ProbeSet(connected);
                var batches = new List<List<(string Name, Func<Target, byte[][]> Datagrams, bool Alone)>> { probes.Where(p => !p.Alone).ToList() };
                batches.AddRange(probes.Where(p => p.Alone).Select(p => new List<(string, Func<Target, byte[][]>, bool)> { p }));
                foreach (var batch in batches)
                {
                    var runs = batch.Select(p => (p.Name,
                        Theirs: ProbeRun.StartAsync(lab, chromium.EndPoint, p.Datagrams(chromium), ct),
                        Mine: ProbeRun.StartAsync(lab, ours.EndPoint, p.Datagrams(ours), ct))).ToList();
                    foreach (var (name, theirs, mine) in runs)
                    {
                        using ProbeRun chromiumRun = await theirs;
                        using ProbeRun ourRun = await mine;
                        if (chromiumRun.Answers.Count != ourRun.Answers.Count)
                        {
                            // Not a second probe: the side that heard less listens longer for a late answer to the same one.
                            await (chromiumRun.Answers.Count < ourRun.Answers.Count ? chromiumRun : ourRun).ListenAsync(LateWindow, ct);
                        }

                        string c = chromiumRun.ToString(), o = ourRun.ToString();
                        table.Add($"| {phase} | {name} | {c} | {o} |");
                        if (c != o)
                        {
                            mismatches.Add($"{phase} / {name}: Chromium {c}, ours {o}");
                        }
                    }
                }
            }

            await PhaseAsync("before ICE", connected: false);

            browser.Put("answer", answer);
            await peer.ConnectAsync(cancellationToken: ct);
            var (stream, _) = await peer.AcceptStreamAsync(ct);
            await using (stream)
            {
                await EchoAsync(stream, ct);
                await PhaseAsync("session up", connected: true);

                // Both sessions survived every probe.
                await EchoAsync(stream, ct);
                Assert.Equal(RtcPeerState.Connected, peer.State);
            }

            output.WriteLine("| phase | probe | Chromium 156 answers | ours |\n|---|---|---|---|\n" + string.Join('\n', table));
            Assert.True(mismatches.Count == 0, "our answers differ from Chromium's:\n" + string.Join('\n', mismatches));
        }
    }

    private static async Task EchoAsync(Stream stream, CancellationToken ct)
    {
        byte[] ping = "still up?"u8.ToArray();
        await stream.WriteAsync(ping, ct);
        byte[] echo = new byte[ping.Length];
        await stream.ReadExactlyAsync(echo, ct);
        Assert.Equal(ping, echo);
    }

    /// <summary>A peer's ICE port as a stranger sees it (its server-reflexive candidate) and its ICE credentials.</summary>
    /// <param name="Controlling">The target's ICE role: probes carry the other one, so none is a role conflict.</param>
    private sealed partial record Target(string Name, IPEndPoint EndPoint, string Ufrag, string Password, bool Controlling)
    {
        public static Target FromSdp(string name, string sdp, bool controlling)
        {
            Match candidate = Srflx().Match(sdp);
            Assert.True(candidate.Success, $"no srflx candidate in {name}'s SDP:\n{sdp}");
            return new Target(
                name,
                new IPEndPoint(IPAddress.Parse(candidate.Groups[1].Value), int.Parse(candidate.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture)),
                Regex.Match(sdp, @"a=ice-ufrag:(\S+)").Groups[1].Value,
                Regex.Match(sdp, @"a=ice-pwd:(\S+)").Groups[1].Value,
                controlling);
        }

        [GeneratedRegex(@"a=candidate:\S+ 1 udp \d+ (\S+) (\d+) typ srflx", RegexOptions.IgnoreCase)]
        private static partial Regex Srflx();
    }

    /// <summary>
    /// The probes: everything DTLS-shaped or junk (the unit probe set plus a replayed Chromium ClientHello), then STUN
    /// from malformed to fully credentialed. Each builds its datagrams for a target (STUN probes use its ufrag/password).
    /// The credentialed stranger check (no role conflict with the target) is sent only while the session is up.
    /// </summary>
    private static List<(string Name, Func<Target, byte[][]> Datagrams, bool Alone)> ProbeSet(bool connected)
    {
        var probes = new List<(string, Func<Target, byte[][]>, bool)>();
        foreach (var (name, bytes) in ProbeTests.Probes())
        {
            probes.Add((name, _ => [bytes], false));
        }

        var (hello, _) = BrowserCaptures.FirstClientHello("chromium.pcapng");
        probes.Add(("replayed Chromium ClientHello", _ => hello, false));
        probes.Add(("STUN header only (20 bytes)", _ => [Stun(StunClass.Request, StunMethod.Binding, (ref StunMessageWriter _) => { })], false));
        probes.Add(("STUN RFC 3489 (no magic cookie)", _ => [NoCookie(Stun(StunClass.Request, StunMethod.Binding, (ref StunMessageWriter w) => w.AddString(StunAttributeType.Software, "probe")))], false));
        probes.Add(("STUN FINGERPRINT only", _ => [Stun(StunClass.Request, StunMethod.Binding, (ref StunMessageWriter w) => w.AddFingerprint())], false));
        probes.Add(("STUN SOFTWARE + FINGERPRINT", _ => [Stun(StunClass.Request, StunMethod.Binding, (ref StunMessageWriter w) =>
        {
            w.AddString(StunAttributeType.Software, "probe");
            w.AddFingerprint();
        })], false));
        probes.Add(("STUN USERNAME without MESSAGE-INTEGRITY", t => [Stun(StunClass.Request, StunMethod.Binding, (ref StunMessageWriter w) =>
        {
            w.AddString(StunAttributeType.Username, t.Ufrag + ":prob");
            w.AddUInt32(StunAttributeType.Priority, 1853824767);
            w.AddFingerprint();
        })], false));
        probes.Add(("STUN unknown ufrag", t => [Check(t, ufrag: "xyzw", password: t.Password)], false));
        probes.Add(("STUN right ufrag, wrong password", t => [Check(t, password: "wrongwrongwrongwrongwrong")], false));
        probes.Add(("STUN right credentials, no PRIORITY", t => [Check(t, priority: false)], false));
        probes.Add(("STUN right credentials, no role attribute", t => [Check(t, role: false)], false));
        probes.Add(("STUN corrupted FINGERPRINT", t => [CorruptLast(Check(t))], false));
        foreach (ushort type in (ushort[])[0x0031, 0x3fff, 0x4000, 0x7fff])
        {
            probes.Add(($"STUN unknown comprehension-required attribute 0x{type:X4}", t => [Check(t, unknown: type)], false));
        }

        probes.Add(("STUN Binding indication", _ => [Stun(StunClass.Indication, StunMethod.Binding, (ref StunMessageWriter w) => w.AddFingerprint())], false));
        probes.Add(("STUN unsolicited success response", _ => [Stun(StunClass.SuccessResponse, StunMethod.Binding, (ref StunMessageWriter w) =>
        {
            w.AddXorMappedAddress(new IPEndPoint(NetLabHosts.ServerAddress, 3478));
            w.AddFingerprint();
        })], false));
        probes.Add(("TURN Allocate", _ => [Stun(StunClass.Request, 0x003, (ref StunMessageWriter w) =>
        {
            w.AddUInt32(0x0019, 17u << 24); // REQUESTED-TRANSPORT UDP
            w.AddFingerprint();
        })], false));
        if (connected)
        {
            // A stranger who knows the credentials: a plain check, one with USE-CANDIDATE, and role conflicts (the
            // target's own role) whose outcome an extreme tie-breaker fixes whatever the target's is (RFC 8445
            // §7.3.1.1: the larger tie-breaker takes the controlling role; the target keeps its session either way).
            probes.Add(("STUN valid check from a stranger", t => [Check(t)], true));
            probes.Add(("STUN valid check with USE-CANDIDATE from a stranger", t => [Check(t, useCandidate: true)], true));
            probes.Add(("STUN role conflict the stranger loses", t => [Check(t, conflict: t.Controlling ? 0 : ulong.MaxValue)], true));
            probes.Add(("STUN role conflict the stranger wins", t => [Check(t, conflict: t.Controlling ? ulong.MaxValue : 0)], true));
            probes.Add(("STUN role conflict the stranger loses, after it won", t => [Check(t, conflict: t.Controlling ? 0 : ulong.MaxValue)], true));
        }

        return probes;
    }

    private delegate void StunBody(ref StunMessageWriter writer);

    private static byte[] Stun(StunClass kind, ushort method, StunBody body)
    {
        byte[] buffer = new byte[512];
        var w = new StunMessageWriter(buffer, kind, method, StunTransactionId.NewRandom());
        body(ref w);
        Assert.True(w.TryComplete(out int n));
        return buffer[..n];
    }

    /// <summary>A connectivity check to <paramref name="t"/> as a stranger would build it, with parts left out or wrong on request.</summary>
    private static byte[] Check(Target t, string? ufrag = null, string? password = null, bool priority = true, bool role = true, ushort unknown = 0, bool useCandidate = false, ulong? conflict = null) =>
        Stun(StunClass.Request, StunMethod.Binding, (ref StunMessageWriter w) =>
        {
            w.AddString(StunAttributeType.Username, (ufrag ?? t.Ufrag) + ":prob");
            if (unknown != 0)
            {
                w.AddUInt32(unknown, 0);
            }

            if (priority)
            {
                w.AddUInt32(StunAttributeType.Priority, 1853824767);
            }

            if (useCandidate)
            {
                w.AddEmpty(StunAttributeType.UseCandidate);
            }

            if (role)
            {
                // The other role than the target's, unless a conflict is asked for (then the same, with that tie-breaker).
                bool sameRole = conflict is not null;
                w.AddUInt64(t.Controlling ^ sameRole ? StunAttributeType.IceControlled : StunAttributeType.IceControlling, conflict ?? 0x0123456789abcdef);
            }

            w.AddMessageIntegrity(Encoding.UTF8.GetBytes(password ?? t.Password));
            w.AddFingerprint();
        });

    private static byte[] NoCookie(byte[] message)
    {
        message[4] ^= 0x5a;
        return message;
    }

    private static byte[] CorruptLast(byte[] message)
    {
        message[^1] ^= 0xff;
        return message;
    }

    /// <summary>One probe sent from a fresh socket on <c>server</c>, and the answers that socket has heard so far.</summary>
    private sealed class ProbeRun : IDisposable
    {
        private readonly Socket _socket;

        private ProbeRun(Socket socket) => _socket = socket;

        public List<string> Answers { get; } = [];

        /// <summary>Sends <paramref name="datagrams"/> to <paramref name="target"/> and listens for <see cref="ProbeWindow"/>.</summary>
        public static async Task<ProbeRun> StartAsync(NetLab lab, IPEndPoint target, byte[][] datagrams, CancellationToken ct)
        {
            var run = new ProbeRun(lab.OpenUdpSocket(NetLabHosts.Server, new IPEndPoint(IPAddress.Any, 0)));
            try
            {
                foreach (byte[] d in datagrams)
                {
                    await run._socket.SendToAsync(d, SocketFlags.None, target, ct);
                }

                await run.ListenAsync(ProbeWindow, ct);
                return run;
            }
            catch
            {
                run.Dispose();
                throw;
            }
        }

        /// <summary>Adds what arrives within <paramref name="window"/> (and whatever arrived since the last listen).</summary>
        public async Task ListenAsync(TimeSpan window, CancellationToken ct)
        {
            byte[] buffer = new byte[65536];
            using var listening = CancellationTokenSource.CreateLinkedTokenSource(ct);
            listening.CancelAfter(window);
            try
            {
                while (true)
                {
                    SocketReceiveFromResult r = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), listening.Token);
                    Answers.Add(Describe(buffer.AsSpan(0, r.ReceivedBytes)));
                }
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
            }
        }

        public override string ToString() => Answers.Count == 0 ? "silence" : string.Join(" + ", Answers);

        public void Dispose() => _socket.Dispose();
    }

    private static string Describe(ReadOnlySpan<byte> datagram)
    {
        if (StunMessage.TryRead(datagram, out StunMessage? m))
        {
            string kind = m.Class switch
            {
                StunClass.SuccessResponse => "success",
                StunClass.ErrorResponse => "error",
                StunClass.Request => "request",
                _ => "indication",
            };
            string code = m.TryGetErrorCode(out int c, out _) ? $" {c}" : string.Empty;
            string attributes = string.Join(",", m.Attributes.Select(a => a.Type.ToString("X4", System.Globalization.CultureInfo.InvariantCulture)));
            return $"STUN {kind}{code} [{attributes}] ({datagram.Length} B)";
        }

        return datagram.Length > 0 && datagram[0] is >= 20 and <= 63 ? $"DTLS type {datagram[0]} ({datagram.Length} B)" : $"other ({datagram.Length} B)";
    }
}
