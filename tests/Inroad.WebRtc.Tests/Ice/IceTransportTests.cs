using System.Net;
using System.Net.Sockets;
using Inroad.Testing;
using Inroad.WebRtc.Ice;
using Inroad.WebRtc.Stun;

namespace Inroad.WebRtc.Tests.Ice;

/// <summary>Two of our agents over real UDP sockets on loopback.</summary>
public sealed class IceTransportTests
{
    [Fact]
    public async Task Two_transports_connect_over_loopback_udp_and_carry_dtls_datagrams()
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(TimeSpan.FromSeconds(20));
        await using var stun = new RecordingStunServer();
        await using IceTransport offerer = await IceTransport.CreateAsync(Options(IceRole.Controlling, stun.LocalEndPoint), cancellationToken: cts.Token);
        await using IceTransport answerer = await IceTransport.CreateAsync(Options(IceRole.Controlled, stun.LocalEndPoint), cancellationToken: cts.Token);

        // On loopback the reflexive address is the host address, so it is not advertised twice.
        Assert.Single(offerer.LocalCandidates);
        Assert.Equal(IceCandidateType.Host, offerer.LocalCandidates[0].Type);
        // Each transport did ask the server (how often is the gatherer's business: it resends after 250 ms, which a
        // loaded machine can reach), and nobody else did.
        await Eventually.UntilAsync(() => stun.Clients.Count >= 2, cts.Token);
        Assert.Equal(
            new[] { offerer.LocalEndPoint.Port, answerer.LocalEndPoint.Port }.Select(p => new IPEndPoint(IPAddress.Loopback, p)).OrderBy(e => e.Port),
            stun.Clients.OrderBy(e => e.Port));

        Task a = offerer.ConnectAsync(answerer.LocalCredentials, answerer.LocalCandidates, cts.Token);
        Task b = answerer.ConnectAsync(offerer.LocalCredentials, offerer.LocalCandidates, cts.Token);
        await Task.WhenAll(a, b);
        Assert.Equal(IceConnectionState.Connected, offerer.State);
        Assert.Equal(IceConnectionState.Connected, answerer.State);
        Assert.Equal(answerer.LocalEndPoint.Port, offerer.SelectedRemote!.Port);

        // A DTLS-looking datagram crosses the selected pair both ways (first byte 22 = handshake).
        byte[] hello = [22, 0xfe, 0xfd, 1, 2, 3];
        await answerer.DatagramTransport.SendAsync(hello, cts.Token);
        byte[] buffer = new byte[1500];
        int n = await offerer.DatagramTransport.ReceiveAsync(buffer, cts.Token);
        Assert.Equal(hello, buffer[..n]);
        await offerer.DatagramTransport.SendAsync(new byte[] { 23, 9, 9 }, cts.Token);
        n = await answerer.DatagramTransport.ReceiveAsync(buffer, cts.Token);
        Assert.Equal(new byte[] { 23, 9, 9 }, buffer[..n]);
    }

    [Theory]
    [InlineData(100, 1)]
    [InlineData(1000, 2)]
    [InlineData(2000, 3)] // the default: 0, 0.25, 0.75 s, then a second for the last answer
    [InlineData(5000, 5)] // 0, 0.25, 0.75, 1.75, 3.75 s: a longer bound buys sends, not just waiting
    [InlineData(30_000, 7)]
    public void Gathering_resends_on_the_doubling_schedule_while_an_answer_can_still_come_in_time(int timeoutMs, int sends) =>
        Assert.Equal(sends, IceTransport.GatheringSends(TimeSpan.FromMilliseconds(timeoutMs)));

    [Fact]
    public async Task Two_transports_connect_over_ipv6_loopback()
    {
        if (!Socket.OSSupportsIPv6)
        {
            Assert.Skip("no IPv6 on this machine");
        }

        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(TimeSpan.FromSeconds(20));
        IceTransportOptions Options6(IceRole role) => new()
        {
            Agent = new IceAgentOptions { Role = role },
            HostAddresses = [IPAddress.IPv6Loopback],
            UseIPv4 = false,
        };
        await using IceTransport offerer = await IceTransport.CreateAsync(Options6(IceRole.Controlling), cancellationToken: cts.Token);
        await using IceTransport answerer = await IceTransport.CreateAsync(Options6(IceRole.Controlled), cancellationToken: cts.Token);
        Assert.Equal(AddressFamily.InterNetworkV6, Assert.Single(offerer.LocalCandidates).AddressFamily);
        await Task.WhenAll(
            offerer.ConnectAsync(answerer.LocalCredentials, answerer.LocalCandidates, cts.Token),
            answerer.ConnectAsync(offerer.LocalCredentials, offerer.LocalCandidates, cts.Token));
        Assert.Equal(IPAddress.IPv6Loopback, offerer.SelectedRemote!.Address);
        await answerer.DatagramTransport.SendAsync(new byte[] { 22, 6 }, cts.Token);
        byte[] buffer = new byte[16];
        int n = await offerer.DatagramTransport.ReceiveAsync(buffer, cts.Token);
        Assert.Equal(new byte[] { 22, 6 }, buffer[..n]);
    }

    [Fact]
    public async Task Injected_port_mapping_is_advertised_as_a_host_candidate_below_the_real_host()
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(TimeSpan.FromSeconds(10));
        IceTransportOptions options = Options(IceRole.Controlling, null);
        var mapping = new IPEndPoint(IPAddress.Parse("203.0.113.50"), 40000);
        options.InjectedCandidates = [mapping];
        await using IceTransport t = await IceTransport.CreateAsync(options, cancellationToken: cts.Token);
        Assert.Equal(2, t.LocalCandidates.Count);
        IceCandidate injected = t.LocalCandidates[1];
        Assert.Equal(mapping, injected.EndPoint);
        Assert.Equal(IceCandidateType.Host, injected.Type);
        Assert.True(injected.Priority < t.LocalCandidates[0].Priority);
        Assert.Contains("203.0.113.50 40000 typ host", Inroad.WebRtc.Sdp.SessionDescription.CreateOffer(t.LocalCredentials, new byte[32], t.LocalCandidates).ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dtls_and_junk_from_a_stranger_are_dropped_in_silence()
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(TimeSpan.FromSeconds(20));
        await using IceTransport offerer = await IceTransport.CreateAsync(Options(IceRole.Controlling, null), cancellationToken: cts.Token);
        await using IceTransport answerer = await IceTransport.CreateAsync(Options(IceRole.Controlled, null), cancellationToken: cts.Token);
        await Task.WhenAll(
            offerer.ConnectAsync(answerer.LocalCredentials, answerer.LocalCandidates, cts.Token),
            answerer.ConnectAsync(offerer.LocalCredentials, offerer.LocalCandidates, cts.Token));

        using var stranger = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        stranger.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var target = new IPEndPoint(IPAddress.Loopback, offerer.LocalEndPoint.Port);
        await stranger.SendToAsync(new byte[] { 22, 0xfe, 0xff, 0, 0 }, target, cts.Token);
        await stranger.SendToAsync(new byte[] { 0x80, 1, 2, 3 }, target, cts.Token);
        await stranger.SendToAsync(new byte[20], target, cts.Token); // bare STUN-looking header, bad cookie

        // The real peer's datagram, sent after the stranger's, is the first one delivered.
        await answerer.DatagramTransport.SendAsync(new byte[] { 23, 1 }, cts.Token);
        byte[] buffer = new byte[64];
        int n = await offerer.DatagramTransport.ReceiveAsync(buffer, cts.Token);
        Assert.Equal(new byte[] { 23, 1 }, buffer[..n]);
        Assert.True(offerer.DroppedDatagrams >= 3);
        stranger.ReceiveTimeout = 300;
        Assert.Throws<SocketException>(() => stranger.Receive(new byte[64]));
    }

    [Fact]
    public async Task Connect_fails_with_ice_exception_when_the_remote_never_answers()
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(TimeSpan.FromSeconds(20));
        IceTransportOptions options = Options(IceRole.Controlling, null);
        options.Agent.FailedTimeout = TimeSpan.FromSeconds(1);
        await using IceTransport lonely = await IceTransport.CreateAsync(options, cancellationToken: cts.Token);
        using var silent = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        silent.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var remote = new IceCandidate("1", 2122260223, (IPEndPoint)silent.LocalEndPoint!, IceCandidateType.Host);
        var ex = await Assert.ThrowsAsync<IceException>(() => lonely.ConnectAsync(IceCredentials.NewChromium(), [remote], cts.Token));
        Assert.Equal(IceError.ConnectivityChecksFailed, ex.Error);
        Assert.Equal(IceConnectionState.Failed, lonely.State);
    }

    /// <summary>A STUN binding server on loopback that remembers who asked (<see cref="StunServer"/> only counts answers).</summary>
    private sealed class RecordingStunServer : IAsyncDisposable
    {
        private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        private readonly System.Collections.Concurrent.ConcurrentDictionary<IPEndPoint, bool> _clients = new();
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _loop;

        public RecordingStunServer()
        {
            _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            LocalEndPoint = (IPEndPoint)_socket.LocalEndPoint!;
            _loop = Task.Run(LoopAsync);
        }

        public IPEndPoint LocalEndPoint { get; }

        /// <summary>Where the binding requests it answered came from.</summary>
        public ICollection<IPEndPoint> Clients => _clients.Keys;

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await _loop;
            _socket.Dispose();
            _stop.Dispose();
        }

        private async Task LoopAsync()
        {
            byte[] request = new byte[2048];
            byte[] response = new byte[512];
            var options = new StunServerOptions();
            try
            {
                while (true)
                {
                    SocketReceiveFromResult r = await _socket.ReceiveFromAsync(request, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), _stop.Token);
                    var from = (IPEndPoint)r.RemoteEndPoint;
                    int n = StunBindingResponder.Answer(request.AsSpan(0, r.ReceivedBytes), from, LocalEndPoint, options, response);
                    if (n > 0)
                    {
                        _clients[from] = true;
                        await _socket.SendToAsync(response.AsMemory(0, n), SocketFlags.None, from, _stop.Token);
                    }
                }
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    private static IceTransportOptions Options(IceRole role, IPEndPoint? stun) => new()
    {
        Agent = new IceAgentOptions { Role = role },
        HostAddresses = [IPAddress.Loopback],
        UseIPv6 = false,
        StunServers = stun is null ? [] : [stun],
    };
}
