using Inroad.Brokers;
using Inroad.Protocol.Messages;
using Inroad.WebRtc.DataChannels;
using Inroad.Protocol;
using Inroad.WebRtc.PeerConnection;

namespace Inroad.Client.Dial;

/// <summary>
/// A dialed in-proxy path: a WebRTC peer connection to a volunteer proxy that relays <see cref="Stream"/> to
/// the tunnel server unparsed, plus what the broker returned for the server (the connection ID and the first
/// broker→server report packet, which the tunnel handshake carries; <see cref="RelayToBrokerAsync"/> carries
/// any further round trips). Disposing closes the channel and the peer connection.
/// </summary>
internal sealed class InproxyConnection : Client.Tunnel.IInproxyTransport
{
    private readonly BrokerClient _brokers;
    private int _disposed;

    private readonly Network.MappedUdpPort? _mapped;

    internal InproxyConnection(
        BrokerClient brokers, BrokerSpec broker, RtcPeerConnection peer, Stream stream, ClientOfferResponse response, byte[] rootSecret, bool shaped, int attempts, InproxyDialTimings timings,
        Network.MappedUdpPort? mapped = null)
    {
        _mapped = mapped;
        _brokers = brokers;
        Broker = broker;
        Peer = peer;
        Stream = stream;
        ConnectionId = response.ConnectionId;
        RelayPacketToServer = response.RelayPacketToServer;
        RootObfuscationSecret = rootSecret;
        IsShaped = shaped;
        Attempts = attempts;
        Timings = timings;
    }

    /// <summary>The reliable, ordered channel to the proxy (shaped when <see cref="IsShaped"/>); the tunnel protocol runs over it.</summary>
    public Stream Stream { get; }

    /// <summary>The broker's connection ID (the server checks the broker report carries it).</summary>
    public Id32 ConnectionId { get; }

    /// <summary>The first broker→server session packet (opaque); empty when the broker sent none.</summary>
    public ReadOnlyMemory<byte> RelayPacketToServer { get; }

    /// <summary>The peer connection (statistics, DTLS profile).</summary>
    public RtcPeerConnection Peer { get; }

    /// <summary>Ends when the peer connection ends.</summary>
    public Task Completion => Peer.Completion;

    /// <summary>The broker that made the match (relayed packets go to it).</summary>
    public BrokerSpec Broker { get; }

    /// <summary>The root obfuscation secret of this dial (replay it to reproduce the DTLS and shaping choices).</summary>
    public ReadOnlyMemory<byte> RootObfuscationSecret { get; }

    /// <summary>True when traffic shaping was offered and applied to <see cref="Stream"/>.</summary>
    public bool IsShaped { get; }

    /// <summary>ClientOffer attempts the dial took (1 = matched at once).</summary>
    public int Attempts { get; }

    /// <summary>Padded and decoy messages so far in each direction; null when not shaped.</summary>
    public DataChannelShapingCounters? ShapingCounters => DataChannelShapingCounters.Of(Stream);

    /// <summary>The gateway mapping our peer connection advertised, or null (this connection owns it).</summary>
    public Network.MappedUdpPort? PortMapping => _mapped;

    /// <summary>Where the dial's time went.</summary>
    public InproxyDialTimings Timings { get; }

    /// <summary>
    /// Sends a packet from the tunnel server to the matching broker (ClientRelayedPacket) and returns the broker's
    /// next packet for the server; empty means the relay is finished.
    /// </summary>
    /// <exception cref="InproxyDialException">The broker request failed (<see cref="InproxyDialFailure.Failed"/>).</exception>
    public async Task<byte[]> RelayToBrokerAsync(ReadOnlyMemory<byte> packetFromServer, CancellationToken ct)
    {
        try
        {
            ClientRelayedPacketResponse response = await _brokers.RequestAsync<ClientRelayedPacketRequest, ClientRelayedPacketResponse>(
                Broker,
                new ClientRelayedPacketRequest { ConnectionId = ConnectionId, PacketFromServer = packetFromServer },
                TimeSpan.Zero,
                BrokerRequestTimeouts.RelayedPacket,
                ct).ConfigureAwait(false);
            return response.PacketToServer.ToArray();
        }
        catch (Exception e) when (InproxyDialer.IsBrokerFailure(e))
        {
            throw new InproxyDialException(InproxyDialFailure.Failed, $"relayed packet: broker request failed: {e.Message}", 0, e);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        try
        {
            await Stream.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is not (NullReferenceException or InvalidCastException)) // the channel layer's own exception type is internal
        {
        }

        await Peer.DisposeAsync().ConfigureAwait(false);
        if (_mapped is not null)
        {
            await _mapped.DisposeAsync().ConfigureAwait(false);
        }
    }
}
