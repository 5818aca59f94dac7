using System.Net;
using System.Net.Sockets;
using Inroad.WebRtc.Ice;
using Inroad.WebRtc.Transport;

namespace Inroad.WebRtc.Tests.Ice;

/// <summary>
/// The bulk path of the ICE socket over real loopback UDP: batches sent with UDP GSO and received with GRO on
/// the receive thread, pushed to an attached receiver; STUN (consent) and strangers' datagrams on the same socket
/// meanwhile; and the portable fallback on either side.
/// </summary>
public sealed class IceBatchPathTests
{
    private const int Segment = 1237; // a 1200-byte SCTP packet in an AES-GCM DTLS record

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public async Task Batches_arrive_whole_in_order_and_byte_exact(bool senderFallback, bool receiverFallback)
    {
        using var cts = Timeout();
        var (sender, receiver) = await ConnectAsync(senderFallback, receiverFallback, cts.Token);
        await using (sender)
        await using (receiver)
        {
            var sink = new RecordingReceiver();
            Assert.True(((IDatagramBatchTransport)receiver.DatagramTransport).TryAttachReceiver(sink));
            var batch = (IDatagramBatchTransport)sender.DatagramTransport;

            // 40 rounds of 25 datagrams: 24 full-size and a shorter last one (a GSO run), then 3 of mixed sizes.
            var expected = new List<byte[]>();
            var random = new Random(6);
            for (int round = 0; round < 40; round++)
            {
                var lengths = new List<int>();
                for (int i = 0; i < 24; i++)
                {
                    lengths.Add(Segment);
                }

                lengths.AddRange([700, 1237, 90, 1237]);
                byte[] buffer = new byte[lengths.Sum()];
                random.NextBytes(buffer);
                int offset = 0;
                foreach (int length in lengths)
                {
                    buffer[offset] = 23; // DTLS application data, so the demux hands it over
                    BitConverter.TryWriteBytes(buffer.AsSpan(offset + 1), expected.Count);
                    expected.Add(buffer.AsSpan(offset, length).ToArray());
                    offset += length;
                }

                batch.SendBatch(buffer, lengths.ToArray());
                await sink.WaitForAsync(expected.Count, cts.Token); // paced by the receiver: no socket-buffer overrun
            }

            Assert.Equal(expected.Count, sink.Datagrams.Count);
            for (int i = 0; i < expected.Count; i++)
            {
                Assert.Equal(expected[i], sink.Datagrams[i]);
            }

            var sent = sender.SocketCounters;
            var received = receiver.SocketCounters;
            Assert.Equal(expected.Count, sent.DatagramsSent);
            Assert.True(sink.Batches > 0);
            if (LinuxUdp.IsSupported && !senderFallback && sender.Offloads.Gso)
            {
                Assert.True(sent.SendCalls * 4 < sent.DatagramsSent, $"GSO: {sent.SendCalls} calls for {sent.DatagramsSent} datagrams");
            }
            else
            {
                Assert.Equal(sent.DatagramsSent, sent.SendCalls);
            }

            if (LinuxUdp.IsSupported && !receiverFallback && !senderFallback && receiver.Offloads.Gro)
            {
                Assert.True(received.ReceiveCalls * 4 < received.DatagramsReceived, $"GRO: {received.ReceiveCalls} calls for {received.DatagramsReceived} datagrams");
            }
        }
    }

    [Fact]
    public async Task Consent_stun_and_strangers_share_the_socket_with_a_bulk_transfer()
    {
        using var cts = Timeout();
        var (sender, receiver) = await ConnectAsync(false, false, cts.Token, TimeSpan.FromMilliseconds(100));
        await using (sender)
        await using (receiver)
        {
            var sink = new RecordingReceiver();
            Assert.True(((IDatagramBatchTransport)receiver.DatagramTransport).TryAttachReceiver(sink));
            var batch = (IDatagramBatchTransport)sender.DatagramTransport;
            using var stranger = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            stranger.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            var target = new IPEndPoint(IPAddress.Loopback, receiver.LocalEndPoint.Port);
            int consentBefore = receiver.ConsentAnswers + sender.ConsentAnswers;
            long droppedBefore = receiver.DroppedDatagrams;

            byte[] buffer = new byte[Segment * 32];
            int[] lengths = Enumerable.Repeat(Segment, 32).ToArray();
            int total = 0;
            var clock = System.Diagnostics.Stopwatch.StartNew();
            while (clock.Elapsed < TimeSpan.FromSeconds(1.5))
            {
                for (int i = 0; i < 32; i++)
                {
                    buffer[i * Segment] = 23;
                }

                batch.SendBatch(buffer, lengths);
                total += 32;
                await stranger.SendToAsync(new byte[] { 23, 0xfe, 0xfd, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0 }, target, cts.Token); // DTLS from a stranger
                await stranger.SendToAsync(new byte[20], target, cts.Token); // STUN-shaped, bad cookie
                await sink.WaitForAsync(total, cts.Token);
            }

            Assert.Equal(total, sink.Datagrams.Count);
            Assert.All(sink.Datagrams, d => Assert.Equal(Segment, d.Length));
            Assert.True(receiver.DroppedDatagrams - droppedBefore >= 2, "the stranger's datagrams reach the demux and are dropped there");
            Assert.True(receiver.ConsentAnswers + sender.ConsentAnswers - consentBefore >= 4, "consent checks are answered during the transfer");
            Assert.Equal(IceConnectionState.Connected, receiver.State);
            Assert.Equal(IceConnectionState.Connected, sender.State);
        }
    }

    private static CancellationTokenSource Timeout()
    {
        var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(TimeSpan.FromSeconds(30));
        return cts;
    }

    [Fact]
    public async Task Lost_consent_tells_the_attached_receiver_once_and_a_later_receiver_at_once()
    {
        using var cts = Timeout();
        var (sender, receiver) = await ConnectAsync(false, false, cts.Token, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(1));
        await using (sender)
        {
            var sink = new RecordingReceiver();
            Assert.True(((IDatagramBatchTransport)sender.DatagramTransport).TryAttachReceiver(sink));
            var failed = new TaskCompletionSource<IceConnectionState>(TaskCreationOptions.RunContinuationsAsynchronously);
            sender.StateChanged += s =>
            {
                if (s == IceConnectionState.Failed)
                {
                    failed.TrySetResult(s);
                }
            };
            if (sender.State == IceConnectionState.Failed)
            {
                failed.TrySetResult(IceConnectionState.Failed); // a stall lost consent before we listened: the event has been and gone
            }

            await receiver.DisposeAsync(); // its socket goes: consent checks are no longer answered
            await failed.Task.WaitAsync(cts.Token);
            await sink.Closed.WaitAsync(cts.Token);
            Assert.Equal(1, sink.ClosedCalls);

            var late = new RecordingReceiver();
            Assert.True(((IDatagramBatchTransport)sender.DatagramTransport).TryAttachReceiver(late));
            Assert.True(late.Closed.IsCompleted);
            await sender.DisposeAsync();
            Assert.Equal(1, sink.ClosedCalls);
        }
    }

    private static async Task<(IceTransport Sender, IceTransport Receiver)> ConnectAsync(bool senderFallback, bool receiverFallback, CancellationToken ct, TimeSpan? consent = null, TimeSpan? consentTimeout = null)
    {
        IceTransportOptions Options(IceRole role, bool fallback) => new()
        {
            Agent = new IceAgentOptions { Role = role, ConsentInterval = consent ?? TimeSpan.FromMilliseconds(2500), ConsentTimeout = consentTimeout ?? TimeSpan.FromSeconds(30) },
            HostAddresses = [IPAddress.Loopback],
            UseIPv6 = false,
            MaxDatagramSize = 1300,
            DisableOffloads = fallback,
        };
        IceTransport sender = await IceTransport.CreateAsync(Options(IceRole.Controlling, senderFallback), cancellationToken: ct);
        IceTransport receiver = await IceTransport.CreateAsync(Options(IceRole.Controlled, receiverFallback), cancellationToken: ct);
        await Task.WhenAll(
            sender.ConnectAsync(receiver.LocalCredentials, receiver.LocalCandidates, ct),
            receiver.ConnectAsync(sender.LocalCredentials, sender.LocalCandidates, ct));
        return (sender, receiver);
    }

    private sealed class RecordingReceiver : IDatagramReceiver
    {
        private readonly Lock _lock = new();
        private readonly List<byte[]> _datagrams = [];
        private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public List<byte[]> Datagrams
        {
            get
            {
                lock (_lock)
                {
                    return [.. _datagrams];
                }
            }
        }

        public int Batches { get; private set; }

        private int _closedCalls;
        private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Closed => _closed.Task;

        public int ClosedCalls => Volatile.Read(ref _closedCalls);

        public void OnClosed()
        {
            Interlocked.Increment(ref _closedCalls);
            _closed.TrySetResult();
        }

        public void OnDatagram(Span<byte> datagram)
        {
            lock (_lock)
            {
                _datagrams.Add(datagram.ToArray());
            }
        }

        public void OnBatchEnd()
        {
            TaskCompletionSource changed;
            lock (_lock)
            {
                Batches++;
                changed = _changed;
                _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
            }

            changed.TrySetResult();
        }

        public async Task WaitForAsync(int count, CancellationToken ct)
        {
            while (true)
            {
                Task changed;
                lock (_lock)
                {
                    if (_datagrams.Count >= count)
                    {
                        return;
                    }

                    changed = _changed.Task;
                }

                await changed.WaitAsync(ct);
            }
        }
    }
}

/// <summary>The raw socket addresses the receive thread compares against the selected pair.</summary>
public sealed class LinuxUdpAddressTests
{
    [Theory]
    [InlineData("127.0.0.1", 5000, AddressFamily.InterNetwork, 16)]
    [InlineData("127.0.0.1", 5000, AddressFamily.InterNetworkV6, 28)] // a v4 peer on a dual-mode socket arrives v4-mapped
    [InlineData("::1", 65535, AddressFamily.InterNetworkV6, 28)]
    public void Written_addresses_read_back_and_compare_by_address_and_port(string address, int port, AddressFamily socketFamily, int expectedLength)
    {
        var endPoint = new IPEndPoint(IPAddress.Parse(address), port);
        byte[] raw = new byte[28];
        int n = LinuxUdp.WriteSockAddr(endPoint, socketFamily, raw);
        Assert.Equal(expectedLength, n);
        IPEndPoint back = IceAgent.Normalize(LinuxUdp.ReadSockAddr(raw.AsSpan(0, n))!);
        Assert.Equal(IceAgent.Normalize(endPoint), back);

        byte[] same = new byte[28];
        LinuxUdp.WriteSockAddr(new IPEndPoint(IPAddress.Parse(address), port), socketFamily, same);
        Assert.True(LinuxUdp.SameAddress(raw.AsSpan(0, n), same.AsSpan(0, n)));
        byte[] otherPort = new byte[28];
        LinuxUdp.WriteSockAddr(new IPEndPoint(IPAddress.Parse(address), port - 1), socketFamily, otherPort);
        Assert.False(LinuxUdp.SameAddress(raw.AsSpan(0, n), otherPort.AsSpan(0, n)));
        Assert.Null(LinuxUdp.ReadSockAddr(new byte[4]));
    }
}
