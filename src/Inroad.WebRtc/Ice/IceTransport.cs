using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using Inroad.WebRtc.Stun;
using Inroad.WebRtc.Transport;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Inroad.WebRtc.Ice;

/// <summary>
/// The real-socket driver of <see cref="IceAgent"/>: one UDP socket per peer connection, demultiplexed by first
/// byte (RFC 7983). STUN goes to the gathering client and the agent; DTLS from a validated remote goes to
/// <see cref="DatagramTransport"/>, the selected pair as an <see cref="IDatagramTransport"/>; anything else
/// (and DTLS from strangers, probe-answers.md §1–2) is dropped in silence. All agent calls happen under one lock.
/// </summary>
internal sealed partial class IceTransport : IAsyncDisposable
{
    private static readonly IPAddress RouteProbeV4 = IPAddress.Parse("198.51.100.1");
    private static readonly IPAddress RouteProbeV6 = IPAddress.Parse("2001:db8::1");
    private const int SocketBufferBytes = 4 << 20;
    private const int ReceiveBatchLimit = 64;
    private static readonly TimeSpan GatheringRto = TimeSpan.FromMilliseconds(250);

    private readonly IceTransportOptions _options;
    private readonly Socket _socket;
    private readonly IceAgent _agent; // guarded by _lock
    private readonly Lock _lock = new();
    private readonly TimeProvider _time;
    private readonly long _epoch;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _closed = new();
    private readonly Channel<byte[]> _dtls = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(256) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });
    private readonly TaskCompletionSource _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly SelectedPairTransport _transport;
    private StunClient? _gatherer;
    private CancellationTokenSource? _sleep; // guarded by _lock
    private Task? _receiveLoop;
    private Task? _timerLoop;
    private IceConnectionState _lastState;
    private long _droppedDatagrams;
    private long _sendCalls;
    private long _datagramsSent;
    private long _receiveCalls;
    private long _datagramsReceived;
    private readonly Lock _sendLock = new();
    private LinuxUdp? _sender; // guarded by _sendLock
    private bool _gso; // guarded by _sendLock
    private IPEndPoint? _sendRemote; // guarded by _sendLock: the endpoint _sendAddress was written for
    private readonly byte[] _sendAddress = new byte[28]; // guarded by _sendLock
    private int _sendAddressLength; // guarded by _sendLock
    private volatile IDatagramReceiver? _receiver;
    private readonly Lock _receiverLock = new();
    private bool _receiverClosed; // guarded by _receiverLock
    private bool _gro;

    private IceTransport(IceTransportOptions options, Socket socket, ILogger logger)
    {
        _options = options;
        _socket = socket;
        _time = options.TimeProvider;
        _epoch = _time.GetTimestamp();
        _logger = logger;
        _agent = new IceAgent(options.Agent);
        _transport = new SelectedPairTransport(this);
    }

    /// <summary>Raised (outside the lock, on a pool thread) when the agent's state changes.</summary>
    public event Action<IceConnectionState>? StateChanged;

    public IceCredentials LocalCredentials => _agent.LocalCredentials;

    public IPEndPoint LocalEndPoint => (IPEndPoint)_socket.LocalEndPoint!;

    /// <summary>Candidates to advertise (host, server-reflexive, injected), in priority order.</summary>
    public IReadOnlyList<IceCandidate> LocalCandidates { get; private set; } = [];

    /// <summary>How long host + server-reflexive gathering took.</summary>
    public TimeSpan GatheringTime { get; private set; }

    public IceConnectionState State
    {
        get
        {
            lock (_lock)
            {
                return _agent.State;
            }
        }
    }

    public IceRole Role
    {
        get
        {
            lock (_lock)
            {
                return _agent.Role;
            }
        }
    }

    /// <summary>Time from <see cref="ConnectAsync"/> to the first selected pair.</summary>
    public TimeSpan? TimeToConnected
    {
        get
        {
            lock (_lock)
            {
                return _agent.TimeToConnected;
            }
        }
    }

    public IPEndPoint? SelectedRemote
    {
        get
        {
            lock (_lock)
            {
                return _agent.SelectedPair?.RemoteEndPoint;
            }
        }
    }

    /// <summary>Datagrams dropped by the demux (not STUN, DTLS from a stranger, or the DTLS queue full).</summary>
    public long DroppedDatagrams => Interlocked.Read(ref _droppedDatagrams);

    /// <summary>Socket-level counters: send system calls, datagrams sent, receive system calls, datagrams received.</summary>
    public (long SendCalls, long DatagramsSent, long ReceiveCalls, long DatagramsReceived) SocketCounters =>
        (Interlocked.Read(ref _sendCalls), Interlocked.Read(ref _datagramsSent), Interlocked.Read(ref _receiveCalls), Interlocked.Read(ref _datagramsReceived));

    /// <summary>Consent checks on the selected pair the remote answered (STUN keeps flowing beside DTLS).</summary>
    public int ConsentAnswers
    {
        get
        {
            lock (_lock)
            {
                return _agent.ConsentAnswers;
            }
        }
    }

    /// <summary>Whether the kernel coalesces received datagrams (UDP GRO) and accepts segmented sends (UDP GSO) on this socket.</summary>
    public (bool Gro, bool Gso) Offloads
    {
        get
        {
            lock (_sendLock)
            {
                return (_gro, _gso);
            }
        }
    }

    /// <summary>The selected pair for DTLS (valid once <see cref="ConnectAsync"/> completed).</summary>
    public IDatagramTransport DatagramTransport => _transport;

    /// <summary>Binds the socket and gathers host, server-reflexive and injected candidates.</summary>
    public static async Task<IceTransport> CreateAsync(IceTransportOptions options, ILogger? logger = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Socket socket = options.Socket ?? Bind(options);
        var transport = new IceTransport(options, socket, logger ?? NullLogger.Instance);
        try
        {
            await transport.GatherAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await transport.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return transport;
    }

    /// <summary>
    /// Takes the remote description's credentials and candidates, runs the checks, and completes when a pair is
    /// selected. Throws <see cref="IceException"/> when ICE fails.
    /// </summary>
    public async Task ConnectAsync(IceCredentials remote, IEnumerable<IceCandidate> remoteCandidates, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(remote);
        ArgumentNullException.ThrowIfNull(remoteCandidates);
        lock (_lock)
        {
            _agent.SetRemoteCredentials(remote.Ufrag, remote.Password);
            foreach (IceCandidate c in remoteCandidates)
            {
                _agent.AddRemoteCandidate(c);
            }

            _agent.Start(Now);
        }

        AfterAgentCall();
        await _connected.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        if (_closed.IsCancellationRequested)
        {
            return;
        }

        lock (_lock)
        {
            _agent.Close();
        }

        await _closed.CancelAsync().ConfigureAwait(false);
        _connected.TrySetException(new IceException(IceError.Closed, "The ICE transport was closed."));
        _dtls.Writer.TryComplete();
        CloseReceiver();
        _socket.Dispose();
        if (_gatherer is not null)
        {
            await _gatherer.DisposeAsync().ConfigureAwait(false);
        }

        foreach (Task? t in new[] { _receiveLoop, _timerLoop })
        {
            if (t is not null)
            {
                await t.ConfigureAwait(false);
            }
        }

        RaiseStateChanged();
    }

    private TimeSpan Now => _time.GetElapsedTime(_epoch);

    private static Socket Bind(IceTransportOptions options)
    {
        bool v6 = options.UseIPv6 && Socket.OSSupportsIPv6 && (options.HostAddresses is null || options.HostAddresses.Any(a => a.AddressFamily == AddressFamily.InterNetworkV6));
        Socket socket;
        if (v6)
        {
            socket = new Socket(AddressFamily.InterNetworkV6, SocketType.Dgram, ProtocolType.Udp) { DualMode = options.UseIPv4 };
            socket.Bind(new IPEndPoint(IPAddress.IPv6Any, options.Port));
        }
        else
        {
            socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            socket.Bind(new IPEndPoint(IPAddress.Any, options.Port));
        }

        // Bulk data arrives in bursts of ~50 datagrams per SACK round; the 208 KiB default overflows (UdpRcvbufErrors).
        try
        {
            socket.ReceiveBufferSize = SocketBufferBytes;
            socket.SendBufferSize = SocketBufferBytes;
        }
        catch (SocketException)
        {
        }

        return socket;
    }

    private async Task GatherAsync(CancellationToken cancellationToken)
    {
        long start = _time.GetTimestamp();
        int port = LocalEndPoint.Port;
        var hosts = new List<IPAddress>();
        foreach (IPAddress a in _options.HostAddresses ?? RouteAddresses())
        {
            if (CanUse(a.AddressFamily) && !hosts.Contains(a) && (!IPAddress.IsLoopback(a) || _options.IncludeLoopback || _options.HostAddresses is not null))
            {
                hosts.Add(a);
            }
        }

        if (_options.IncludeLoopback && _options.HostAddresses is null)
        {
            foreach (IPAddress lo in new[] { IPAddress.Loopback, IPAddress.IPv6Loopback })
            {
                if (CanUse(lo.AddressFamily) && !hosts.Contains(lo))
                {
                    hosts.Add(lo);
                }
            }
        }

        var candidates = new List<(IceCandidate Candidate, bool IsBase)>();
        int preference = IceCandidate.DefaultLocalPreference;
        foreach (IPAddress h in hosts)
        {
            candidates.Add((IceCandidate.CreateLocal(IceCandidateType.Host, new IPEndPoint(h, port), h, preference--), true));
        }

        foreach (IPEndPoint injected in _options.InjectedCandidates)
        {
            IPAddress baseAddress = hosts.Find(h => h.AddressFamily == injected.AddressFamily) ?? injected.Address;
            candidates.Add((IceCandidate.CreateLocal(IceCandidateType.Host, injected, baseAddress, preference--), false));
        }

        _receiveLoop = StartReceiving();
        _timerLoop = Task.Run(TimerLoopAsync);
        if (_options.StunServers.Count > 0)
        {
            _gatherer = new StunClient(
                async (d, to, ct) => await _socket.SendToAsync(d, SocketFlags.None, to, ct).ConfigureAwait(false),
                new StunClientOptions { InitialRto = GatheringRto, MaxSends = GatheringSends(_options.GatheringTimeout), LastWaitMultiplier = 4, TimeProvider = _time });
            using var timeout = new CancellationTokenSource(_options.GatheringTimeout, _time);
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
            var servers = _options.StunServers.Where(s => CanUse(s.AddressFamily) && hosts.Exists(h => h.AddressFamily == s.AddressFamily)).ToList();
            IPEndPoint?[] mapped = await Task.WhenAll(servers.Select(s => MapAsync(s, cts.Token))).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            for (int i = 0; i < servers.Count; i++)
            {
                if (mapped[i] is not { } m || candidates.Exists(c => c.Candidate.EndPoint.Equals(m)))
                {
                    continue;
                }

                IPAddress baseAddress = hosts.Find(h => h.AddressFamily == m.AddressFamily)!;
                candidates.Add((IceCandidate.CreateLocal(IceCandidateType.ServerReflexive, m, baseAddress, IceCandidate.DefaultLocalPreference, new IPEndPoint(baseAddress, port)), false));
            }
        }

        if (!candidates.Exists(c => c.IsBase))
        {
            throw new IceException(IceError.NoCandidates, "No usable host address for ICE.");
        }

        lock (_lock)
        {
            foreach ((IceCandidate c, bool isBase) in candidates.OrderByDescending(c => c.Candidate.Priority))
            {
                _agent.AddLocalCandidate(c, isBase);
            }

            LocalCandidates = _agent.LocalCandidates.ToArray();
        }

        GatheringTime = _time.GetElapsedTime(start);
        LogGathered(_logger, LocalCandidates.Count, GatheringTime.TotalMilliseconds);
    }

    /// <summary>
    /// Binding requests per STUN server while gathering: on the doubling schedule from <see cref="GatheringRto"/>
    /// (0, 0.25, 0.75, 1.75, 3.75 s, ...), each send that leaves at least one initial RTO for its answer before
    /// <paramref name="timeout"/>. The default 2 s gives 3; a longer bound buys more sends, not just a longer wait.
    /// </summary>
    internal static int GatheringSends(TimeSpan timeout)
    {
        int sends = 1;
        TimeSpan next = GatheringRto;
        for (TimeSpan rto = GatheringRto * 2; next + GatheringRto < timeout; rto *= 2)
        {
            sends++;
            next += rto;
        }

        return sends;
    }

    private async Task<IPEndPoint?> MapAsync(IPEndPoint server, CancellationToken cancellationToken)
    {
        try
        {
            StunResponse r = await _gatherer!.BindAsync(server, cancellationToken).ConfigureAwait(false);
            return r.IsSuccess && r.MappedAddress is { } m ? IceAgent.Normalize(m) : null;
        }
        catch (Exception ex) when (ex is StunException or OperationCanceledException)
        {
            LogNoReflexive(_logger, server.ToString(), ex.Message);
            return null;
        }
    }

    private bool CanUse(AddressFamily family) =>
        (family == AddressFamily.InterNetwork && _options.UseIPv4 && (_socket.AddressFamily == AddressFamily.InterNetwork || _socket.DualMode))
        || (family == AddressFamily.InterNetworkV6 && _options.UseIPv6 && _socket.AddressFamily == AddressFamily.InterNetworkV6);

    /// <summary>The source address the OS would use towards a documentation address (connect() on UDP sends nothing).</summary>
    private static IEnumerable<IPAddress> RouteAddresses()
    {
        foreach (IPAddress probe in new[] { RouteProbeV4, RouteProbeV6 })
        {
            IPAddress? found = null;
            try
            {
                using var s = new Socket(probe.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
                s.Connect(probe, 9);
                found = ((IPEndPoint)s.LocalEndPoint!).Address;
            }
            catch (SocketException)
            {
            }

            if (found is not null && !found.Equals(IPAddress.Any) && !found.Equals(IPAddress.IPv6Any) && !found.IsIPv6LinkLocal)
            {
                yield return found;
            }
        }
    }

    private Task StartReceiving()
    {
        if (!LinuxUdp.IsSupported || _options.DisableOffloads)
        {
            return Task.Run(ReceiveLoopAsync);
        }

        lock (_sendLock)
        {
            _gro = LinuxUdp.TryEnableGro(_socket);
            _gso = LinuxUdp.ProbeGso(_socket);
            _sender = new LinuxUdp(_socket, LinuxUdp.MaxBatchBytes);
        }

        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                ReceiveThread();
            }
            finally
            {
                done.TrySetResult();
            }
        })
        {
            IsBackground = true,
            Name = "ice-receive",
        };
        thread.Start();
        return done.Task;
    }

    /// <summary>
    /// The receive side on Linux: a dedicated thread doing non-blocking recvmsg until the socket is empty, then
    /// poll. With GRO one call returns a burst of same-sized datagrams from one sender. DTLS from the selected
    /// remote goes straight to the attached <see cref="IDatagramReceiver"/> (no copy, no queue); the receiver
    /// hears <see cref="IDatagramReceiver.OnBatchEnd"/> when the socket is drained or after 64 datagrams.
    /// </summary>
    private void ReceiveThread()
    {
        var udp = new LinuxUdp(_socket, 65536);
        IPEndPoint? cachedRemote = null;
        byte[] cachedAddress = new byte[28];
        int cachedLength = 0;
        long lastAlive = 0;
        IDatagramReceiver? delivering = null;
        int pending = 0;
        while (!_closed.IsCancellationRequested)
        {
            int n = udp.Receive(out int segment);
            if (n < 0)
            {
                if (_closed.IsCancellationRequested)
                {
                    break;
                }

                LogSocketError(_logger, SocketError.SocketError);
                udp.WaitReadable(100);
                continue;
            }

            if (n == 0)
            {
                if (pending > 0)
                {
                    pending = 0;
                    EndBatch(delivering!);
                }

                udp.WaitReadable(100);
                continue;
            }

            Interlocked.Increment(ref _receiveCalls);
            ReadOnlySpan<byte> source = udp.SourceAddress;
            IDatagramReceiver? receiver = _receiver;
            bool fast = false;
            if (receiver is not null)
            {
                IPEndPoint? selected = SelectedRemote;
                if (selected is not null && !ReferenceEquals(selected, cachedRemote))
                {
                    cachedRemote = selected;
                    cachedLength = LinuxUdp.WriteSockAddr(selected, _socket.AddressFamily, cachedAddress);
                }

                fast = selected is not null && LinuxUdp.SameAddress(source, cachedAddress.AsSpan(0, cachedLength));
                if (fast && delivering is not null && !ReferenceEquals(delivering, receiver) && pending > 0)
                {
                    pending = 0;
                    EndBatch(delivering);
                }
            }

            IPEndPoint? from = null;
            Span<byte> all = udp.Buffer[..n];
            int count = 0;
            bool delivered = false;
            for (int offset = 0; offset < n; offset += segment)
            {
                Span<byte> datagram = all.Slice(offset, Math.Min(segment, n - offset));
                count++;
                if (fast && DatagramDemux.Classify(datagram) == DatagramKind.Dtls)
                {
                    Deliver(receiver!, datagram);
                    delivering = receiver;
                    delivered = true;
                    pending++;
                    continue;
                }

                from ??= LinuxUdp.ReadSockAddr(source) is { } f ? IceAgent.Normalize(f) : null;
                if (from is null)
                {
                    Interlocked.Increment(ref _droppedDatagrams);
                    continue;
                }

                HandleDatagram(datagram, from);
            }

            Interlocked.Add(ref _datagramsReceived, count);
            if (delivered)
            {
                long now = Stopwatch.GetTimestamp();
                if (Stopwatch.GetElapsedTime(lastAlive, now) > AliveInterval)
                {
                    lastAlive = now;
                    lock (_lock)
                    {
                        _agent.NotifyReceived(cachedRemote!, Now);
                    }
                }
            }

            if (pending >= ReceiveBatchLimit)
            {
                pending = 0;
                EndBatch(delivering!);
            }
        }

        if (pending > 0)
        {
            EndBatch(delivering!);
        }
    }

    private static readonly TimeSpan AliveInterval = TimeSpan.FromMilliseconds(100);

    // The layers above run on this thread: a failure there loses the datagram, never the socket's thread (or the process).
    private void Deliver(IDatagramReceiver receiver, Span<byte> datagram)
    {
        try
        {
            receiver.OnDatagram(datagram);
        }
        catch (Exception ex) when (IsLayerFailure(ex))
        {
            LogReceiverFailed(_logger, ex);
        }
    }

    private void EndBatch(IDatagramReceiver receiver)
    {
        try
        {
            receiver.OnBatchEnd();
        }
        catch (Exception ex) when (IsLayerFailure(ex))
        {
            LogReceiverFailed(_logger, ex);
        }
    }

    private static bool IsLayerFailure(Exception ex) =>
        ex is InvalidOperationException or ArgumentException or IOException or ObjectDisposedException or SocketException
            or Dtls.DtlsException or Sctp.SctpException or DataChannels.DataChannelException or System.Security.Cryptography.CryptographicException;

    private async Task ReceiveLoopAsync()
    {
        byte[] buffer = new byte[2048];
        var address = new SocketAddress(_socket.AddressFamily);
        var template = new IPEndPoint(_socket.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
        while (!_closed.IsCancellationRequested)
        {
            int n;
            try
            {
                n = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, address, _closed.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException ex)
            {
                if (_closed.IsCancellationRequested)
                {
                    return;
                }

                LogSocketError(_logger, ex.SocketErrorCode);
                continue;
            }

            Interlocked.Increment(ref _receiveCalls);
            Interlocked.Increment(ref _datagramsReceived);
            IPEndPoint from = IceAgent.Normalize((IPEndPoint)template.Create(address));
            HandleDatagram(buffer.AsSpan(0, n), from);
        }
    }

    /// <summary>The RFC 7983 demux of one datagram that did not take the fast path.</summary>
    private void HandleDatagram(Span<byte> datagram, IPEndPoint from)
    {
        switch (DatagramDemux.Classify(datagram))
        {
            case DatagramKind.Stun:
                if (_gatherer is not null && _gatherer.TryHandleDatagram(datagram, from))
                {
                    break;
                }

                bool handled;
                lock (_lock)
                {
                    handled = _agent.HandleDatagram(datagram, from, Now);
                }

                if (!handled)
                {
                    Interlocked.Increment(ref _droppedDatagrams);
                }

                AfterAgentCall();
                break;
            case DatagramKind.Dtls:
                bool accepted;
                lock (_lock)
                {
                    accepted = _agent.IsValidatedRemote(from);
                    if (accepted)
                    {
                        _agent.NotifyReceived(from, Now);
                    }
                }

                if (!accepted)
                {
                    Interlocked.Increment(ref _droppedDatagrams);
                }
                else if (_receiver is { } receiver)
                {
                    // A validated remote that is not (or no longer) the selected pair: still ours.
                    Deliver(receiver, datagram);
                    EndBatch(receiver);
                }
                else if (!_dtls.Writer.TryWrite(datagram.ToArray()))
                {
                    Interlocked.Increment(ref _droppedDatagrams);
                }

                break;
            default:
                Interlocked.Increment(ref _droppedDatagrams);
                break;
        }
    }

    private async Task TimerLoopAsync()
    {
        while (!_closed.IsCancellationRequested)
        {
            TimeSpan? next;
            CancellationTokenSource sleep;
            List<IceTransmit> transmits;
            lock (_lock)
            {
                _agent.HandleTimeout(Now);
                transmits = DrainLocked();
                next = _agent.NextTimeout;
                _sleep?.Dispose();
                sleep = _sleep = CancellationTokenSource.CreateLinkedTokenSource(_closed.Token);
            }

            await SendAllAsync(transmits).ConfigureAwait(false);
            RaiseStateChanged();
            TimeSpan delay = next is { } n ? n - Now : Timeout.InfiniteTimeSpan;
            if (delay != Timeout.InfiniteTimeSpan)
            {
                // Task.Delay refuses more than ~49 days; an hour is plenty, the loop recomputes.
                delay = delay < TimeSpan.FromMilliseconds(1) ? TimeSpan.FromMilliseconds(1) : delay > TimeSpan.FromHours(1) ? TimeSpan.FromHours(1) : delay;
            }

            try
            {
                await Task.Delay(delay, _time, sleep.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    /// <summary>After the agent took input: send what it queued and wake the timer loop (its deadline may have moved).</summary>
    private void AfterAgentCall()
    {
        CancellationTokenSource? sleep;
        lock (_lock)
        {
            sleep = _sleep;
        }

        try
        {
            sleep?.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private List<IceTransmit> DrainLocked()
    {
        var list = new List<IceTransmit>();
        while (_agent.TryDequeueTransmit(out IceTransmit t))
        {
            list.Add(t);
        }

        return list;
    }

    private async Task SendAllAsync(List<IceTransmit> transmits)
    {
        foreach (IceTransmit t in transmits)
        {
            try
            {
                await _socket.SendToAsync(t.Datagram, SocketFlags.None, ToSocketFamily(t.Destination), _closed.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is SocketException or OperationCanceledException or ObjectDisposedException)
            {
                // Unreachable destinations are ordinary during checks; the agent's timers decide.
            }
        }
    }

    private IPEndPoint ToSocketFamily(IPEndPoint destination) =>
        _socket.AddressFamily == AddressFamily.InterNetworkV6 && destination.AddressFamily == AddressFamily.InterNetwork
            ? new IPEndPoint(destination.Address.MapToIPv6(), destination.Port)
            : destination;

    private void CloseReceiver()
    {
        IDatagramReceiver? receiver;
        lock (_receiverLock)
        {
            if (_receiverClosed)
            {
                return;
            }

            _receiverClosed = true;
            receiver = _receiver;
        }

        receiver?.OnClosed();
    }

    private bool AttachReceiver(IDatagramReceiver receiver)
    {
        bool closed;
        lock (_receiverLock)
        {
            _receiver = receiver;
            closed = _receiverClosed;
        }

        if (closed)
        {
            receiver.OnClosed();
        }

        return true;
    }

    private void RaiseStateChanged()
    {
        IceConnectionState state;
        IceError? reason;
        lock (_lock)
        {
            state = _agent.State;
            reason = _agent.FailureReason;
        }

        if (state == _lastState)
        {
            return;
        }

        _lastState = state;
        LogState(_logger, state);
        if (state == IceConnectionState.Connected)
        {
            _connected.TrySetResult();
        }
        else if (state == IceConnectionState.Failed)
        {
            _connected.TrySetException(new IceException(reason ?? IceError.ConnectivityChecksFailed, $"ICE failed: {reason}."));
            _dtls.Writer.TryComplete();
            CloseReceiver(); // consent lost: the layers above end now rather than when their own timers give up
        }

        StateChanged?.Invoke(state);
    }

    [LoggerMessage(EventId = 201, Level = LogLevel.Debug, Message = "ICE gathered {Count} candidates in {Milliseconds} ms")]
    private static partial void LogGathered(ILogger logger, int count, double milliseconds);

    [LoggerMessage(EventId = 202, Level = LogLevel.Debug, Message = "ICE: no server-reflexive candidate from {Server}: {Reason}")]
    private static partial void LogNoReflexive(ILogger logger, string server, string reason);

    [LoggerMessage(EventId = 203, Level = LogLevel.Debug, Message = "ICE state {State}")]
    private static partial void LogState(ILogger logger, IceConnectionState state);

    [LoggerMessage(EventId = 205, Level = LogLevel.Warning, Message = "ICE: the layer above failed on a received datagram; dropped")]
    private static partial void LogReceiverFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 204, Level = LogLevel.Debug, Message = "ICE socket error {Error}; continuing")]
    private static partial void LogSocketError(ILogger logger, SocketError error);

    /// <summary>
    /// Sends a batch to the selected remote: runs of equal-sized datagrams (the last of a run may be shorter, up to
    /// 64 and 65,000 bytes) go out in one GSO sendmsg; without GSO, one sendmsg per datagram. A full send
    /// buffer waits briefly for room rather than dropping a whole run.
    /// </summary>
    private void SendBatch(ReadOnlySpan<byte> datagrams, ReadOnlySpan<int> lengths)
    {
        IPEndPoint remote = SelectedRemote ?? throw new InvalidOperationException("ICE has no selected pair yet.");
        lock (_sendLock)
        {
            LinuxUdp? udp = _sender;
            if (udp is null)
            {
                SendEachFallback(datagrams, lengths, remote);
                return;
            }

            if (!ReferenceEquals(remote, _sendRemote))
            {
                _sendRemote = remote;
                _sendAddressLength = LinuxUdp.WriteSockAddr(remote, _socket.AddressFamily, _sendAddress);
            }

            ReadOnlySpan<byte> address = _sendAddress.AsSpan(0, _sendAddressLength);
            int offset = 0;
            int i = 0;
            while (i < lengths.Length)
            {
                int segment = lengths[i];
                int count = 1;
                int bytes = segment;
                if (_gso)
                {
                    // extend the run while the next datagram fits the segment size (only the last may be shorter)
                    while (i + count < lengths.Length && count < LinuxUdp.MaxSegments && bytes + lengths[i + count] <= LinuxUdp.MaxBatchBytes
                        && lengths[i + count] <= segment && lengths[i + count - 1] == segment)
                    {
                        bytes += lengths[i + count];
                        count++;
                    }
                }

                datagrams.Slice(offset, bytes).CopyTo(udp.Buffer);
                int error = SendWithRetry(udp, bytes, count > 1 ? segment : 0, address);
                if (error != 0 && count > 1)
                {
                    // EIO/EINVAL: this path cannot segment (no checksum offload, old kernel); send one by one from now on.
                    _gso = false;
                    int inner = offset;
                    for (int k = 0; k < count; k++)
                    {
                        datagrams.Slice(inner, lengths[i + k]).CopyTo(udp.Buffer);
                        SendWithRetry(udp, lengths[i + k], 0, address);
                        Interlocked.Increment(ref _sendCalls);
                        inner += lengths[i + k];
                    }
                }
                else
                {
                    Interlocked.Increment(ref _sendCalls);
                }

                Interlocked.Add(ref _datagramsSent, count);
                offset += bytes;
                i += count;
            }
        }
    }

    private static int SendWithRetry(LinuxUdp udp, int length, int segment, ReadOnlySpan<byte> address)
    {
        int error = udp.Send(length, segment, address);
        for (int attempt = 0; error == LinuxUdp.ErrorWouldBlock && attempt < 3; attempt++)
        {
            udp.WaitWritable(5);
            error = udp.Send(length, segment, address);
        }

        // UDP: a datagram the kernel refuses (unreachable, still no room) is a lost datagram. Only a refused
        // segmentation is the caller's business.
        return error is 5 or 22 or 95 && segment > 0 ? error : 0;
    }

    private void SendEachFallback(ReadOnlySpan<byte> datagrams, ReadOnlySpan<int> lengths, IPEndPoint remote)
    {
        IPEndPoint to = ToSocketFamily(remote);
        int offset = 0;
        foreach (int length in lengths)
        {
            try
            {
                Interlocked.Increment(ref _sendCalls);
                Interlocked.Increment(ref _datagramsSent);
                _socket.SendTo(datagrams.Slice(offset, length), SocketFlags.None, to);
            }
            catch (SocketException)
            {
                // UDP: a failed send is a lost datagram.
            }

            offset += length;
        }
    }

    private sealed class SelectedPairTransport(IceTransport owner) : IDatagramBatchTransport
    {
        public int MaxDatagramSize => owner._options.MaxDatagramSize;

        public bool TryAttachReceiver(IDatagramReceiver receiver)
        {
            ArgumentNullException.ThrowIfNull(receiver);
            return owner.AttachReceiver(receiver);
        }

        public void SendBatch(ReadOnlySpan<byte> datagrams, ReadOnlySpan<int> lengths)
        {
            ObjectDisposedException.ThrowIf(owner._closed.IsCancellationRequested, this);
            foreach (int length in lengths)
            {
                if (length > MaxDatagramSize || length < 0)
                {
                    throw new ArgumentException($"Datagram of {length} bytes exceeds {MaxDatagramSize}.", nameof(lengths));
                }
            }

            owner.SendBatch(datagrams, lengths);
        }

        public ValueTask SendAsync(ReadOnlyMemory<byte> datagram, CancellationToken cancellationToken = default)
        {
            ObjectDisposedException.ThrowIf(owner._closed.IsCancellationRequested, this);
            if (datagram.Length > MaxDatagramSize)
            {
                throw new ArgumentException($"Datagram of {datagram.Length} bytes exceeds {MaxDatagramSize}.", nameof(datagram));
            }

            if (owner._sender is not null)
            {
                ReadOnlySpan<int> one = [datagram.Length];
                owner.SendBatch(datagram.Span, one);
                return ValueTask.CompletedTask;
            }

            return SendOneAsync(datagram, cancellationToken);
        }

        private async ValueTask SendOneAsync(ReadOnlyMemory<byte> datagram, CancellationToken cancellationToken)
        {
            IPEndPoint remote = owner.SelectedRemote ?? throw new InvalidOperationException("ICE has no selected pair yet.");
            try
            {
                Interlocked.Increment(ref owner._sendCalls);
                Interlocked.Increment(ref owner._datagramsSent);
                await owner._socket.SendToAsync(datagram, SocketFlags.None, owner.ToSocketFamily(remote), cancellationToken).ConfigureAwait(false);
            }
            catch (SocketException)
            {
                // UDP: a failed send is a lost datagram.
            }
        }

        public async ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            byte[] datagram;
            try
            {
                datagram = await owner._dtls.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (ChannelClosedException)
            {
                throw new ObjectDisposedException(nameof(IceTransport));
            }

            int length = Math.Min(datagram.Length, buffer.Length);
            datagram.AsSpan(0, length).CopyTo(buffer.Span);
            return length;
        }

        public ValueTask DisposeAsync() => owner.DisposeAsync();
    }
}
