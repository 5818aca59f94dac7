using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Inroad.Nat.PortMapping;
using Inroad.Testing;
using Microsoft.Extensions.Time.Testing;

namespace Inroad.Nat.Tests.PortMapping;

/// <summary>
/// The announcement listener against a fake PCP/NAT-PMP gateway on 127.77.3.x: spoofed and malformed datagrams
/// are ignored, a real ANNOUNCE or an epoch that fell back makes the lease map again at once.
/// </summary>
public sealed class AnnouncementListenerTests
{
    private const string Announce = "02800000000000000000373b000000000000000000000000";

    [Fact]
    public async Task Pcp_announce_from_the_gateway_remaps_at_once_and_reports_the_new_endpoint()
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(TimeSpan.FromSeconds(30));
        IPAddress gw = IPAddress.Parse("127.77.3.1");
        var listen = new IPEndPoint(IPAddress.Parse("127.77.3.9"), 25350);
        await using var gateway = new FakeGateway(gw, cts.Token);
        using var spoofer = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        spoofer.Bind(new IPEndPoint(IPAddress.Parse("127.77.3.2"), 5351));

        var mapper = new PortMapper(Options(gw, listen));
        await using PortMappingLease lease = await mapper.MapUdpAsync(4242, PortMappingProtocol.Pcp, cts.Token);
        Assert.Equal(new IPEndPoint(FakeGateway.External, 4242), lease.ExternalEndPoint);
        GatewayAnnouncementListener listener = Assert.IsType<GatewayAnnouncementListener>(mapper.Listener);
        var changed = new TaskCompletionSource<IPEndPoint>(TaskCreationOptions.RunContinuationsAsynchronously);
        lease.ExternalEndPointChanged += e => changed.TrySetResult(e);

        // A valid ANNOUNCE from another host, then junk from the gateway itself: all ignored.
        await spoofer.SendToAsync(Convert.FromHexString(Announce), listen, cts.Token);
        foreach (string junk in new[] { "", "02", "0280000000000000", Announce[..44], "02000000000000000000373b000000000000000000000000", "00800000" })
        {
            await gateway.SendFromServerPortAsync(Convert.FromHexString(junk), listen, cts.Token);
        }

        await Eventually.UntilAsync(() => listener.Ignored >= 7, cts.Token);
        Assert.Equal(0, listener.Accepted);
        Assert.Equal(0, lease.AnnouncementRenewals);
        Assert.Equal(1, gateway.MapRequests);

        // The gateway restarts (its epoch starts again) and hands out another port; its ANNOUNCE makes the lease map
        // again, once: the MAP answer's epoch agrees with the announcement's.
        gateway.Restart(nextExternalPort: 5000);
        await gateway.SendFromServerPortAsync(gateway.PcpAnnouncement(), listen, cts.Token);
        IPEndPoint moved = await changed.Task.WaitAsync(cts.Token);
        Assert.Equal(new IPEndPoint(FakeGateway.External, 5000), moved);
        Assert.Equal(moved, lease.ExternalEndPoint);
        Assert.Equal((1, 1, 1), (listener.Accepted, lease.AnnouncementRenewals, lease.Renewals));
        Assert.Equal(2, gateway.MapRequests);
        Assert.True(gateway.NoncesRepeated, "the renewal must repeat the mapping's nonce (RFC 6887 §11.1)");
    }

    [Fact]
    public async Task Map_answer_whose_epoch_shows_a_restart_needs_no_second_renewal()
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(TimeSpan.FromSeconds(30));
        IPAddress gw = IPAddress.Parse("127.77.3.5");
        await using var gateway = new FakeGateway(gw, cts.Token);
        PortMapperOptions options = Options(gw, new IPEndPoint(IPAddress.Parse("127.77.3.9"), 25353));
        options.ListenForAnnouncements = false;
        options.TimeProvider = new FakeTimeProvider(); // the lease's timers fire only when the test says so
        await using PortMappingLease lease = await new PortMapper(options).MapUdpAsync(4501, PortMappingProtocol.Pcp, cts.Token);

        gateway.Restart(nextExternalPort: 5001);
        await lease.RenewAsync(cts.Token); // the answer's epoch fell back: the server restarted, and this MAP re-made the mapping

        // A second renewal, queued behind anything the first one left waiting, is the only one that follows.
        await lease.RenewAsync(cts.Token);
        Assert.Equal((3, 2), (gateway.MapRequests, lease.Renewals));
        Assert.Equal(new IPEndPoint(FakeGateway.External, 5001), lease.ExternalEndPoint);
    }

    [Fact]
    public async Task Nat_pmp_announcement_renews_only_when_the_epoch_fell_back()
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(TimeSpan.FromSeconds(30));
        IPAddress gw = IPAddress.Parse("127.77.3.3");
        var listen = new IPEndPoint(IPAddress.Parse("127.77.3.9"), 25351);
        await using var gateway = new FakeGateway(gw, cts.Token);

        var mapper = new PortMapper(Options(gw, listen));
        await using PortMappingLease lease = await mapper.MapUdpAsync(4343, PortMappingProtocol.NatPmp, cts.Token);
        GatewayAnnouncementListener listener = Assert.IsType<GatewayAnnouncementListener>(mapper.Listener);

        // Same address, epoch advancing with the clock: the gateway did not restart.
        await gateway.SendFromServerPortAsync(gateway.NatPmpAnnouncement(gateway.Epoch), listen, cts.Token);
        await Eventually.UntilAsync(() => listener.Accepted == 1, cts.Token);
        Assert.Equal(0, lease.AnnouncementRenewals);
        Assert.Equal(1, gateway.MapRequests);

        // Epoch 2: the gateway rebooted and forgot the mapping.
        await gateway.SendFromServerPortAsync(gateway.NatPmpAnnouncement(2), listen, cts.Token);
        await Eventually.UntilAsync(() => lease.Renewals == 1, cts.Token);
        Assert.Equal((2, 1, 2), (listener.Accepted, lease.AnnouncementRenewals, gateway.MapRequests));
        Assert.Equal(new IPEndPoint(FakeGateway.External, 4343), lease.ExternalEndPoint);
    }

    [Fact]
    public async Task Listener_lives_while_leases_do_and_can_be_switched_off()
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(TimeSpan.FromSeconds(30));
        IPAddress gw = IPAddress.Parse("127.77.3.4");
        var listen = new IPEndPoint(IPAddress.Parse("127.77.3.9"), 25352);
        await using var gateway = new FakeGateway(gw, cts.Token);
        var mapper = new PortMapper(Options(gw, listen));

        PortMappingLease a = await mapper.MapUdpAsync(4401, PortMappingProtocol.Pcp, cts.Token);
        PortMappingLease b = await mapper.MapUdpAsync(4402, PortMappingProtocol.Pcp, cts.Token);
        GatewayAnnouncementListener? listener = mapper.Listener;
        Assert.NotNull(listener);
        Assert.Equal(listen, listener.LocalEndPoint);
        await a.DisposeAsync();
        Assert.Same(listener, mapper.Listener);
        await b.DisposeAsync();
        Assert.Null(mapper.Listener);

        // The port is free again once the last lease is gone (bound without SO_REUSEADDR here to prove it).
        using (var probe = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp))
        {
            probe.Bind(listen);
        }

        PortMapperOptions off = Options(gw, listen);
        off.ListenForAnnouncements = false;
        var quiet = new PortMapper(off);
        await using PortMappingLease c = await quiet.MapUdpAsync(4403, PortMappingProtocol.Pcp, cts.Token);
        Assert.Null(quiet.Listener);
    }

    // No resends within an exchange: the fake gateway counts every MAP it gets, so a slow answer must not add one.
    private static PortMapperOptions Options(IPAddress gateway, IPEndPoint listen) =>
        new() { Gateway = gateway, ProbeTimeout = TimeSpan.FromSeconds(3), FirstRetransmitDelay = TimeSpan.FromSeconds(3), AnnouncementEndPoint = listen };

    /// <summary>Answers PCP MAP and NAT-PMP requests on 5351 like a small home gateway; epoch counts from its start.</summary>
    private sealed class FakeGateway : IAsyncDisposable
    {
        public static readonly IPAddress External = IPAddress.Parse("198.51.100.7");
        private readonly Socket _socket;
        private readonly CancellationTokenSource _stop;
        private readonly Task _loop;
        private long _started = Stopwatch.GetTimestamp();
        private uint _epochBase = 1000;
        private byte[]? _firstNonce;
        private int _mapRequests;
        private int _nonceMismatches;

        public FakeGateway(IPAddress address, CancellationToken ct)
        {
            _socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            _socket.Bind(new IPEndPoint(address, 5351));
            _stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
            _loop = Task.Run(() => ServeAsync(_stop.Token));
        }

        public int MapRequests => Volatile.Read(ref _mapRequests);

        public bool NoncesRepeated => Volatile.Read(ref _nonceMismatches) == 0;

        public volatile int NextExternalPort;

        public uint Epoch => Volatile.Read(ref _epochBase) + (uint)Stopwatch.GetElapsedTime(Volatile.Read(ref _started)).TotalSeconds;

        /// <summary>Forgets its mappings as a rebooted gateway would: the epoch starts from zero again.</summary>
        public void Restart(int nextExternalPort)
        {
            NextExternalPort = nextExternalPort;
            Volatile.Write(ref _epochBase, 0);
            Volatile.Write(ref _started, Stopwatch.GetTimestamp());
        }

        public byte[] PcpAnnouncement()
        {
            byte[] a = Convert.FromHexString(Announce);
            BinaryPrimitives.WriteUInt32BigEndian(a.AsSpan(8), Epoch);
            return a;
        }

        public byte[] NatPmpAnnouncement(uint epoch)
        {
            byte[] m = new byte[12];
            m[1] = 128;
            BinaryPrimitives.WriteUInt32BigEndian(m.AsSpan(4), epoch);
            External.TryWriteBytes(m.AsSpan(8), out _);
            return m;
        }

        public async Task SendFromServerPortAsync(byte[] datagram, IPEndPoint to, CancellationToken ct) =>
            await _socket.SendToAsync(datagram, to, ct);

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _socket.Dispose();
            try
            {
                await _loop;
            }
            catch (OperationCanceledException)
            {
            }
            catch (ObjectDisposedException)
            {
            }

            _stop.Dispose();
        }

        private async Task ServeAsync(CancellationToken ct)
        {
            byte[] buf = new byte[1100];
            while (!ct.IsCancellationRequested)
            {
                SocketReceiveFromResult r = await _socket.ReceiveFromAsync(buf, new IPEndPoint(IPAddress.Any, 0), ct);
                byte[]? answer = Answer(buf.AsSpan(0, r.ReceivedBytes));
                if (answer is not null)
                {
                    await _socket.SendToAsync(answer, r.RemoteEndPoint, ct);
                }
            }
        }

        private byte[]? Answer(ReadOnlySpan<byte> q)
        {
            if (q.Length == 2 && q[0] == 0 && q[1] == 0)
            {
                return NatPmpAnnouncement(Epoch); // the external-address answer has the same shape
            }

            if (q.Length == 12 && q[0] == 0 && q[1] == 1)
            {
                ushort port = BinaryPrimitives.ReadUInt16BigEndian(q[4..]);
                uint lifetime = BinaryPrimitives.ReadUInt32BigEndian(q[8..]);
                if (lifetime != 0)
                {
                    Interlocked.Increment(ref _mapRequests);
                }

                byte[] m = new byte[16];
                m[1] = 129;
                BinaryPrimitives.WriteUInt32BigEndian(m.AsSpan(4), Epoch);
                BinaryPrimitives.WriteUInt16BigEndian(m.AsSpan(8), port);
                BinaryPrimitives.WriteUInt16BigEndian(m.AsSpan(10), lifetime == 0 ? (ushort)0 : port);
                BinaryPrimitives.WriteUInt32BigEndian(m.AsSpan(12), lifetime);
                return m;
            }

            if (q.Length == 24 && q[0] == 2 && q[1] == 0)
            {
                return PcpAnnouncement();
            }

            if (q.Length == 60 && q[0] == 2 && q[1] == 1)
            {
                uint lifetime = BinaryPrimitives.ReadUInt32BigEndian(q[4..]);
                byte[] nonce = q.Slice(24, 12).ToArray();
                if (lifetime != 0 && Interlocked.Increment(ref _mapRequests) > 1 && _firstNonce is not null && !nonce.AsSpan().SequenceEqual(_firstNonce))
                {
                    Interlocked.Increment(ref _nonceMismatches);
                }

                _firstNonce ??= nonce;
                ushort internalPort = BinaryPrimitives.ReadUInt16BigEndian(q[40..]);
                int next = NextExternalPort;
                byte[] m = q.ToArray();
                m[1] = 0x81;
                m[2] = m[3] = 0;
                BinaryPrimitives.WriteUInt32BigEndian(m.AsSpan(4), lifetime == 0 ? 0 : Math.Min(lifetime, 3600));
                BinaryPrimitives.WriteUInt32BigEndian(m.AsSpan(8), Epoch);
                m.AsSpan(12, 12).Clear();
                BinaryPrimitives.WriteUInt16BigEndian(m.AsSpan(42), next != 0 ? (ushort)next : internalPort);
                External.MapToIPv6().TryWriteBytes(m.AsSpan(44), out _);
                return m;
            }

            return null;
        }
    }
}
