using System.Security.Cryptography;
using Inroad.WebRtc.DataChannels;
using Inroad.WebRtc.Dtls;
using Inroad.WebRtc.Ice;
using Inroad.WebRtc.Sctp;
using Inroad.WebRtc.Sdp;
using Microsoft.Extensions.Logging;

namespace Inroad.WebRtc.PeerConnection;

/// <summary>
/// A data-channel-only WebRTC peer connection: ICE (one UDP socket, full gathering before the description
/// is returned, no trickle) → DTLS (browser-shaped, fingerprint checked against the remote SDP) → SCTP →
/// data channels. The offerer is ICE-controlling and, as browsers answer with setup:active, the DTLS server.
/// <code>
/// offerer:  CreateOfferAsync → (signaling) → ConnectAsync(answer) → OpenDataChannelAsync
/// answerer: CreateAnswerAsync(offer) → (signaling) → ConnectAsync() → AcceptDataChannelAsync
/// </code>
/// </summary>
public sealed class RtcPeerConnection : IAsyncDisposable
{
    // SCTP packets are 1200 bytes (Chromium's default); DTLS 1.2 adds 37 with AES-GCM and up to 93 with
    // a CBC-SHA384 suite a randomized ClientHello may pick, so the UDP payload must allow 1293.
    private const int MaxUdpPayload = 1300;

    private const int SctpMtu = 1200;

    private readonly RtcPeerOptions _options;
    private readonly bool _isOfferer;
    private readonly DtlsCertificate _certificate;
    private IceTransport? _ice;
    private SessionDescription? _local;
    private SessionDescription? _remote;
    private DtlsConnection? _dtls;
    private DataChannelSession? _channels;
    private int _disposed;

    private RtcPeerConnection(RtcPeerOptions options, bool isOfferer)
    {
        _options = options;
        _isOfferer = isOfferer;
        _certificate = DtlsCertificate.Generate(options.TimeProvider);
    }

    /// <summary>Raised when <see cref="State"/> changes.</summary>
    public event Action<RtcPeerState>? StateChanged;

    /// <summary>Current state.</summary>
    public RtcPeerState State { get; private set; }

    /// <summary>The DTLS profile our side used, once connected.</summary>
    public DtlsProfileKind? DtlsProfile => _dtls?.Profile;

    /// <summary>The negotiated DTLS version as on the wire (0xfefd: DTLS 1.2); null before DTLS completed.</summary>
    public int? DtlsVersion => _dtls?.Version;

    /// <summary>Remote address of the selected ICE pair, once connected.</summary>
    public System.Net.IPEndPoint? SelectedRemoteEndPoint => _ice?.SelectedRemote;

    /// <summary>The DTLS layer, once connected (tests look at its record path).</summary>
    internal DtlsConnection? Dtls => _dtls;

    /// <summary>The ICE layer (tests look at its socket counters).</summary>
    internal IceTransport? Ice => _ice;

    /// <summary>Time spent gathering candidates.</summary>
    public TimeSpan GatheringTime => _ice?.GatheringTime ?? TimeSpan.Zero;

    /// <summary>Creates the offering side and returns it with its complete offer SDP.</summary>
    public static async Task<(RtcPeerConnection Peer, string Offer)> CreateOfferAsync(RtcPeerOptions options, CancellationToken cancellationToken = default)
    {
        var peer = Create(options, isOfferer: true);
        try
        {
            await peer.GatherAsync(IceRole.Controlling, cancellationToken).ConfigureAwait(false);
            peer._local = SessionDescription.CreateOffer(peer._ice!.LocalCredentials, peer._certificate.Fingerprint.Hash.ToArray(), peer._ice.LocalCandidates) with { EndOfCandidates = true };
            return (peer, peer._local.ToString());
        }
        catch
        {
            await peer.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Creates the answering side for <paramref name="offer"/> and returns it with its complete answer SDP.
    /// Throws <see cref="ArgumentException"/> when the offer is not a data-channel offer we can parse.
    /// </summary>
    public static async Task<(RtcPeerConnection Peer, string Answer)> CreateAnswerAsync(RtcPeerOptions options, string offer, CancellationToken cancellationToken = default)
    {
        SessionDescription remote = Parse(offer, SdpType.Offer);
        var peer = Create(options, isOfferer: false);
        try
        {
            peer._remote = remote;
            await peer.GatherAsync(IceRole.Controlled, cancellationToken).ConfigureAwait(false);
            peer._local = SessionDescription.CreateAnswer(remote, peer._ice!.LocalCredentials, peer._certificate.Fingerprint.Hash.ToArray(), peer._ice.LocalCandidates) with { EndOfCandidates = true };
            return (peer, peer._local.ToString());
        }
        catch
        {
            await peer.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Runs ICE, DTLS and SCTP to completion. The offerer passes the answer; the answerer passes nothing.
    /// Throws <see cref="RtcPeerException"/> when any layer fails or the connect timeout passes.
    /// </summary>
    public async Task ConnectAsync(string? answer = null, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        if (_isOfferer)
        {
            ArgumentException.ThrowIfNullOrEmpty(answer);
            _remote = Parse(answer, SdpType.Answer);
        }

        SessionDescription remote = _remote ?? throw new InvalidOperationException("No remote description.");
        SetState(RtcPeerState.Connecting);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.ConnectTimeout);
        string stage = "ICE";
        try
        {
            await _ice!.ConnectAsync(remote.IceCredentials, remote.Candidates, timeout.Token).ConfigureAwait(false);

            stage = "DTLS";
            bool dtlsClient = _isOfferer ? remote.Setup == DtlsSetupRole.Passive : remote.Setup != DtlsSetupRole.Active;
            var dtlsOptions = new DtlsOptions
            {
                Certificate = _certificate,
                RemoteFingerprint = DtlsFingerprint.FromHash(remote.Fingerprint),
                Shape = DtlsShapePlan.Derive(_options.ShapeSeed ?? RandomNumberGenerator.GetBytes(32), _isOfferer ? SignalingRole.Offerer : SignalingRole.Answerer, _options.ProfileChoice),
                LoggerFactory = _options.LoggerFactory,
                DisableFastRecords = _options.DisableDatapathOffloads,
            };
            _dtls = dtlsClient
                ? await DtlsConnection.ConnectAsync(_ice.DatagramTransport, dtlsOptions, timeout.Token).ConfigureAwait(false)
                : await DtlsConnection.AcceptAsync(_ice.DatagramTransport, dtlsOptions, timeout.Token).ConfigureAwait(false);

            stage = "SCTP";
            _channels = new DataChannelSession(_dtls, new DataChannelSessionOptions
            {
                Sctp = new SctpOptions { Mtu = Math.Min(SctpMtu, _dtls.MaxDatagramSize) },
                IsDtlsClient = dtlsClient,
                RemoteMaxMessageSize = remote.MaxMessageSize is > 0 and <= int.MaxValue ? (int)remote.MaxMessageSize.Value : 65536,
            }, _options.TimeProvider);
            await _channels.StartAsync(timeout.Token).ConfigureAwait(false);
            SetState(RtcPeerState.Connected);
            _ = WatchPathAsync(_channels);
        }
        catch (Exception e) when (e is IceException or DtlsException or DataChannelException or OperationCanceledException or IOException)
        {
            SetState(RtcPeerState.Failed);
            if (e is OperationCanceledException && cancellationToken.IsCancellationRequested)
            {
                throw;
            }

            throw new RtcPeerException($"{stage} failed: {e.Message}", e);
        }
    }

    /// <summary>Opens a data channel (DCEP); data may be sent at once. A closed association is an <see cref="RtcPeerException"/>.</summary>
    internal async Task<DataChannel> OpenDataChannelAsync(DataChannelOptions options, CancellationToken cancellationToken = default)
    {
        try
        {
            return await Connected.OpenChannelAsync(options, cancellationToken).ConfigureAwait(false);
        }
        catch (DataChannelException e)
        {
            throw new RtcPeerException($"No data channel: {e.Message}", e);
        }
    }

    /// <summary>Waits for the peer to open a data channel. A closed association is an <see cref="RtcPeerException"/>.</summary>
    internal async ValueTask<DataChannel> AcceptDataChannelAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            return await Connected.AcceptChannelAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (DataChannelException e)
        {
            throw new RtcPeerException($"No data channel: {e.Message}", e);
        }
    }

    /// <summary>Opens a reliable, ordered channel and returns it as a <see cref="Stream"/>.</summary>
    public async Task<Stream> OpenStreamAsync(string label, CancellationToken cancellationToken = default) =>
        (await OpenDataChannelAsync(new DataChannelOptions { Label = label }, cancellationToken).ConfigureAwait(false)).AsStream();

    /// <summary>Accepts the peer's next channel and returns it as a <see cref="Stream"/> with its label.</summary>
    public async Task<(Stream Stream, string Label)> AcceptStreamAsync(CancellationToken cancellationToken = default)
    {
        DataChannel channel = await AcceptDataChannelAsync(cancellationToken).ConfigureAwait(false);
        return (channel.AsStream(), channel.Label);
    }

    /// <summary>
    /// Opens a reliable, ordered channel and returns it as a <see cref="Stream"/>, shaped (padding and decoy
    /// messages, in-proxy design §6.5) when <paramref name="shaping"/> is given. The answerer must accept with the
    /// same shaping.
    /// </summary>
    public async Task<Stream> OpenStreamAsync(string label, DataChannelShaping? shaping, CancellationToken cancellationToken = default)
    {
        shaping?.Validate();
        DataChannel channel = await OpenDataChannelAsync(new DataChannelOptions { Label = label }, cancellationToken).ConfigureAwait(false);
        return shaping is null ? channel.AsStream() : channel.AsShapedStream(shaping, Role);
    }

    /// <summary>
    /// Accepts the peer's next channel and returns it as a <see cref="Stream"/> with its label, shaped when
    /// <paramref name="shaping"/> is given (the offerer must have opened it with the same shaping).
    /// </summary>
    public async Task<(Stream Stream, string Label)> AcceptStreamAsync(DataChannelShaping? shaping, CancellationToken cancellationToken = default)
    {
        shaping?.Validate();
        DataChannel channel = await AcceptDataChannelAsync(cancellationToken).ConfigureAwait(false);
        return (shaping is null ? channel.AsStream() : channel.AsShapedStream(shaping, Role), channel.Label);
    }

    /// <summary>A snapshot of the selected path and the transport counters. Throws when not connected.</summary>
    public async Task<RtcPeerStatistics> GetStatisticsAsync()
    {
        var (counters, rtt, cwnd) = await Connected.GetStatisticsAsync().ConfigureAwait(false);
        var socket = _ice?.SocketCounters ?? default;
        return new RtcPeerStatistics
        {
            SelectedRemoteEndPoint = SelectedRemoteEndPoint,
            DtlsProfile = DtlsProfile,
            PacketsSent = counters.PacketsSent,
            PacketsReceived = counters.PacketsReceived,
            BytesReceived = counters.BytesDelivered,
            MessagesReceived = counters.MessagesDelivered,
            Retransmissions = counters.Retransmissions,
            AbandonedMessages = counters.AbandonedMessages,
            SmoothedRtt = rtt,
            CongestionWindow = cwnd,
            DroppedDatagrams = _ice?.DroppedDatagrams ?? 0,
            SacksSent = counters.SacksSent,
            DataPacketsReceived = counters.DataPacketsReceived,
            SocketSendCalls = socket.SendCalls,
            SocketDatagramsSent = socket.DatagramsSent,
            SocketReceiveCalls = socket.ReceiveCalls,
            SocketDatagramsReceived = socket.DatagramsReceived,
        };
    }

    /// <summary>Completes when the SCTP association ends.</summary>
    public Task Completion => _channels?.Completion ?? Task.CompletedTask;

    /// <summary>Ends the association gracefully (SCTP SHUTDOWN), then releases every layer.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        if (_channels is not null)
        {
            try
            {
                using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await _channels.ShutdownAsync().WaitAsync(grace.Token).ConfigureAwait(false);

                // ShutdownAsync only starts the close: SHUTDOWN goes once every queued message is acknowledged.
                // Disposing before it completes would ABORT and drop what the peer has not yet received.
                _ = await _channels.Completion.WaitAsync(grace.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or DataChannelException or ObjectDisposedException or InvalidOperationException)
            {
            }

            await _channels.DisposeAsync().ConfigureAwait(false);
        }

        if (_dtls is not null)
        {
            await _dtls.DisposeAsync().ConfigureAwait(false);
        }

        if (_ice is not null)
        {
            await _ice.DisposeAsync().ConfigureAwait(false);
        }

        SetState(RtcPeerState.Closed);
    }

    private SignalingRole Role => _isOfferer ? SignalingRole.Offerer : SignalingRole.Answerer;

    private DataChannelSession Connected =>
        _channels ?? throw new InvalidOperationException("The peer connection is not connected.");

    private static RtcPeerConnection Create(RtcPeerOptions options, bool isOfferer)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return new RtcPeerConnection(options, isOfferer);
    }

    private static SessionDescription Parse(string sdp, SdpType type)
    {
        if (!SdpParser.TryParse(sdp, type, out SessionDescription? description, out string? error))
        {
            throw new ArgumentException($"Unusable {type} SDP: {error}", nameof(sdp));
        }

        return description;
    }

    private async Task GatherAsync(IceRole role, CancellationToken cancellationToken)
    {
        _ice = await IceTransport.CreateAsync(
            new IceTransportOptions
            {
                Agent = ConsentOptions(role),
                Port = _options.Port,
                IncludeLoopback = _options.IncludeLoopback,
                HostAddresses = _options.HostAddresses,
                StunServers = _options.StunServers,
                InjectedCandidates = _options.InjectedCandidates,
                GatheringTimeout = _options.GatheringTimeout,
                MaxDatagramSize = MaxUdpPayload,
                DisableOffloads = _options.DisableDatapathOffloads,
                TimeProvider = _options.TimeProvider,
            },
            _options.LoggerFactory.CreateLogger("Inroad.WebRtc.Ice"),
            cancellationToken).ConfigureAwait(false);
    }

    // Checks often enough that a few lost ones never expire consent: the default interval, or a fifth of a short timeout.
    private IceAgentOptions ConsentOptions(IceRole role)
    {
        var agent = new IceAgentOptions { Role = role, ConsentTimeout = _options.ConsentTimeout };
        TimeSpan fifth = _options.ConsentTimeout / 5;
        if (fifth < agent.ConsentInterval)
        {
            agent.ConsentInterval = fifth;
        }

        return agent;
    }

    // A path that dies under a connected peer (consent lost, DTLS alert, retransmissions exhausted) fails it, as a
    // browser's connectionState turns "failed"; a close by either side keeps its own state.
    private async Task WatchPathAsync(DataChannelSession channels)
    {
        (SctpError error, _) = await channels.Completion.ConfigureAwait(false);
        if (error is SctpError.TransportClosed or SctpError.Timeout && Volatile.Read(ref _disposed) == 0)
        {
            SetState(RtcPeerState.Failed);
        }
    }

    private void SetState(RtcPeerState state)
    {
        if (State == state)
        {
            return;
        }

        State = state;
        StateChanged?.Invoke(state);
    }
}
