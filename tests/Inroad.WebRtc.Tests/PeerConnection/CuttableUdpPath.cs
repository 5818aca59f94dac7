using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace Inroad.WebRtc.Tests.PeerConnection;

/// <summary>
/// A loopback UDP path between two peers that can be cut without either peer sending a word, as when a proxy's
/// machine drops off the network: each peer's SDP is rewritten to name one of the path's two sockets, and every
/// datagram goes through them until <see cref="Cut"/>.
/// </summary>
internal sealed partial class CuttableUdpPath : IAsyncDisposable
{
    private readonly Socket _towardAnswerer = Bound(); // the offerer sends here, as to the answerer
    private readonly Socket _towardOfferer = Bound();  // the answerer sends here, as to the offerer
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _pumps = [];
    private volatile bool _cut;

    /// <summary>The offer as the answerer must see it: the offerer's host candidate moved onto this path.</summary>
    public string RewriteOffer(string offer, out IPEndPoint offerer) => Rewrite(offer, _towardOfferer, out offerer);

    /// <summary>The answer as the offerer must see it: the answerer's host candidate moved onto this path.</summary>
    public string RewriteAnswer(string answer, out IPEndPoint answerer) => Rewrite(answer, _towardAnswerer, out answerer);

    /// <summary>Starts carrying datagrams between the two real endpoints.</summary>
    public void Start(IPEndPoint offerer, IPEndPoint answerer)
    {
        _pumps.Add(PumpAsync(_towardAnswerer, _towardOfferer, answerer));
        _pumps.Add(PumpAsync(_towardOfferer, _towardAnswerer, offerer));
    }

    /// <summary>From now on every datagram in either direction is dropped.</summary>
    public void Cut() => _cut = true;

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _towardAnswerer.Dispose();
        _towardOfferer.Dispose();
        await Task.WhenAll(_pumps).ConfigureAwait(false);
        _stop.Dispose();
    }

    private static Socket Bound()
    {
        var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveBufferSize = 1 << 22, SendBufferSize = 1 << 22 };
        s.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return s;
    }

    // Datagrams arriving on `from` leave through `via` (so the receiver sees the address its SDP names) to `to`.
    private async Task PumpAsync(Socket from, Socket via, IPEndPoint to)
    {
        byte[] buffer = new byte[65536];
        EndPoint any = new IPEndPoint(IPAddress.Any, 0);
        try
        {
            while (true)
            {
                SocketReceiveFromResult r = await from.ReceiveFromAsync(buffer, SocketFlags.None, any, _stop.Token).ConfigureAwait(false);
                if (!_cut)
                {
                    await via.SendToAsync(buffer.AsMemory(0, r.ReceivedBytes), SocketFlags.None, to, _stop.Token).ConfigureAwait(false);
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
        {
        }
    }

    private static string Rewrite(string sdp, Socket replacement, out IPEndPoint original)
    {
        Match m = HostCandidate().Match(sdp);
        Assert.True(m.Success, "no IPv4 loopback host candidate in:\n" + sdp);
        Assert.Single(HostCandidate().Matches(sdp)); // one candidate, so no pair can bypass the path
        original = new IPEndPoint(IPAddress.Loopback, int.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture));
        int port = ((IPEndPoint)replacement.LocalEndPoint!).Port;
        return sdp[..m.Groups[2].Index] + port.ToString(System.Globalization.CultureInfo.InvariantCulture) + sdp[(m.Groups[2].Index + m.Groups[2].Length)..];
    }

    [GeneratedRegex(@"a=candidate:\S+ 1 udp \d+ (127\.0\.0\.1) (\d+) typ host")]
    private static partial Regex HostCandidate();
}
