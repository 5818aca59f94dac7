using Inroad.Protocol;
using System.Net;
using System.Net.Sockets;
using Inroad.Network;
using Inroad.Protocol.Messages;
using Inroad.WebRtc.Dtls;
using Inroad.WebRtc.DataChannels;
using Inroad.WebRtc.PeerConnection;

namespace Inroad.Proxy;

/// <summary>Serving one matched client (design §8.1 worker after the match).</summary>
internal sealed partial class InproxyProxy
{
    private const int RootSecretLength = 32;

    // Every failure of a stage (whatever layer throws it, a timeout included) is this client's failure, not
    // the proxy's: it is answered or logged, backed off, and the slot is freed. Only our own stop propagates.
    private async Task ServeClientAsync(ProxyClient client, ProxyAnnounceResponse match, CancellationToken cancellationToken)
    {
        RtcPeerConnection? peer = null;
        Stream? channel = null;
        Stream? destination = null;
        MappedUdpPort? mapped = null;
        string id = ShortId(client.ConnectionId);
        try
        {
            // 1. Answer. Whatever happens, the broker hears from us: the client is waiting for this answer.
            string? error = Refusal(match, out EndPoint? target);
            string? answer = null;
            string? fingerprint = null;
            if (error is null)
            {
                using var answerTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                answerTimeout.CancelAfter(_options.AnswerTimeout);
                try
                {
                    // A port mapped for this client (bounded, never fatal) makes us reachable through any NAT of the client's.
                    mapped = _options.Nat is { } nat ? await nat.TryMapUdpPortAsync(waitForProbe: true, answerTimeout.Token).ConfigureAwait(false) : null;
                    RtcPeerOptions webRtc = PeerOptionsFor(match.ClientRootObfuscationSecret, mapped);
                    fingerprint = DtlsShapePlan.Derive(webRtc.ShapeSeed, SignalingRole.Answerer, webRtc.ProfileChoice).Kind.ToString();
                    try
                    {
                        (peer, answer) = await RtcPeerConnection.CreateAnswerAsync(webRtc, match.ClientOfferSdp!, answerTimeout.Token).ConfigureAwait(false);
                    }
                    catch (Exception e) when (mapped is not null && e is not OperationCanceledException)
                    {
                        // The mapped port was taken between choosing and binding it (or the mapping broke the answer): answer without it.
                        ProxyLog.MappedAnswerFailed(_logger, id, e.Message);
                        await mapped.DisposeAsync().ConfigureAwait(false);
                        mapped = null;
                        (peer, answer) = await RtcPeerConnection.CreateAnswerAsync(PeerOptionsFor(match.ClientRootObfuscationSecret, null), match.ClientOfferSdp!, answerTimeout.Token).ConfigureAwait(false);
                    }
                }
                catch (Exception e) when (!cancellationToken.IsCancellationRequested)
                {
                    error = e is OperationCanceledException ? "answer timed out" : "answer failed";
                }
            }

            ProxyAnswerResponse? ack = await SendAnswerAsync(
                new ProxyAnswerRequest { ConnectionId = match.ConnectionId, ProxyAnswerSdp = error is null ? answer : null, AnswerError = error, ProxyDtlsFingerprint = fingerprint },
                cancellationToken).ConfigureAwait(false);
            if (error is not null)
            {
                Increment(Counter.AnswerErrors);
                FailClient(id, error);
                return;
            }

            if (ack is null)
            {
                return; // broker transport failure, already counted; the client will redial
            }

            if (ack.NoAwaitingClient)
            {
                Increment(Counter.NoAwaitingClient);
                ProxyLog.NoAwaitingClient(_logger, id);
                return;
            }

            // 2. The client's data channel, then the destination.
            using (var ready = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                ready.CancelAfter(_options.ReadyTimeout);
                try
                {
                    await peer!.ConnectAsync(null, ready.Token).ConfigureAwait(false);
                    channel = await AcceptClientStreamAsync(peer, match, ready.Token).ConfigureAwait(false);
                }
                catch (Exception e) when (!cancellationToken.IsCancellationRequested)
                {
                    FailClient(id, e is OperationCanceledException ? "data channel timed out" : $"data channel failed: {e.Message}");
                    return;
                }
            }

            try
            {
                destination = await DialAsync(target!, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                FailClient(id, e is OperationCanceledException ? "destination dial timed out" : $"destination dial failed: {e.Message}");
                return;
            }

            // 3. Relay.
            client.MarkConnected();
            Increment(Counter.ClientsRelayed);
            ProxyLog.Relaying(_logger, id, client.Region);
            RelayEnd end = await ProxyRelay.RunAsync(
                channel,
                destination,
                client,
                _options.LimitUpstreamBytesPerSecond,
                _options.LimitDownstreamBytesPerSecond,
                _options.InactivityTimeout,
                _time,
                cancellationToken).ConfigureAwait(false);
            ProxyLog.RelayEnded(_logger, id, end, client.BytesUp, client.BytesDown);
            if (client.BytesUp + client.BytesDown > 0)
            {
                ResetBackoff();
            }
        }
        finally
        {
            // The peer goes before the channel: its graceful SCTP shutdown delivers what is still queued for
            // the client, while a channel close (stream reset) first can cut that data off.
            await CloseAsync(destination).ConfigureAwait(false);
            if (peer is not null)
            {
                await peer.DisposeAsync().ConfigureAwait(false);
            }

            await CloseAsync(channel).ConfigureAwait(false);
            if (mapped is not null)
            {
                await mapped.DisposeAsync().ConfigureAwait(false); // the lease lives exactly as long as this client
            }
        }
    }

    /// <summary>
    /// The client's stream, with the traffic shaping the client asked for (<see cref="ProxyAnnounceResponse.TrafficShaping"/>,
    /// seeded from <see cref="ProxyAnnounceResponse.ClientRootObfuscationSecret"/> with the answerer's context).
    /// </summary>
    private static async Task<Stream> AcceptClientStreamAsync(RtcPeerConnection peer, ProxyAnnounceResponse match, CancellationToken cancellationToken)
    {
        DataChannelShaping? shaping = InproxyShaping.For(match.TrafficShaping, match.ClientRootObfuscationSecret);
        (Stream stream, _) = await peer.AcceptStreamAsync(shaping, cancellationToken).ConfigureAwait(false);
        return stream;
    }

    // Why this match cannot be served (sent as the AnswerError), or null with the destination to dial.
    private static string? Refusal(ProxyAnnounceResponse match, out EndPoint? target)
    {
        target = null;
        if (match.NetworkProtocol != 0)
        {
            return "unsupported network protocol";
        }

        if (match.UseMediaStreams)
        {
            return "media streams not supported";
        }

        if (match.ClientRootObfuscationSecret.Length != RootSecretLength || string.IsNullOrEmpty(match.ClientOfferSdp))
        {
            return "invalid offer";
        }

        target = ParseDestination(match.DestinationAddress);
        return target is null ? "invalid destination" : null;
    }

    /// <summary>host:port, [v6]:port or v4:port; null when malformed.</summary>
    internal static EndPoint? ParseDestination(string? address)
    {
        if (string.IsNullOrEmpty(address))
        {
            return null;
        }

        if (IPEndPoint.TryParse(address, out IPEndPoint? ip) && ip.Port != 0 && address.Contains(':', StringComparison.Ordinal))
        {
            return ip;
        }

        int colon = address.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(address.AsSpan(colon + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int port)
            || port is < 1 or > 65535)
        {
            return null;
        }

        string host = address[..colon];
        return Uri.CheckHostName(host) == UriHostNameType.Dns ? new DnsEndPoint(host, port) : null;
    }

    private RtcPeerOptions PeerOptionsFor(ReadOnlyMemory<byte> rootSecret, MappedUdpPort? mapped)
    {
        RtcPeerOptions options = _options.WebRtc.ForConnection(rootSecret.Span);
        options.ConnectTimeout = _options.ReadyTimeout;
        if (mapped is not null)
        {
            options.Port = mapped.LocalPort;
            options.InjectedCandidates = [.. options.InjectedCandidates, mapped.ExternalEndPoint];
        }

        return options;
    }

    private async Task<Stream> DialAsync(EndPoint target, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.DestinationDialTimeout);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(target, timeout.Token).ConfigureAwait(false);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    // WebRTC, channel and dial failures after a match back off, unless bytes were relayed (design §8.1).
    private void FailClient(string id, string reason)
    {
        Increment(Counter.ClientFailures);
        ProxyLog.ClientFailed(_logger, id, reason);
        BackOff();
    }

    private static async ValueTask CloseAsync(Stream? stream)
    {
        if (stream is null)
        {
            return;
        }

        try
        {
            await stream.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Already broken (the data channel layer's own exception type included).
        }
    }
}
