using System.Security.Cryptography;
using System.Text;
using Inroad.Brokers;
using Inroad.Network;
using Inroad.Protocol;
using Inroad.Protocol.Messages;
using Inroad.Sessions;
using Inroad.WebRtc.DataChannels;
using Inroad.WebRtc.PeerConnection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Inroad.Client.Dial;

/// <summary>
/// The client side of an in-proxy dial (design §8.5, §2.5): make a WebRTC offer, send it to the current broker
/// as a ClientOffer with the destination's signed server entry, and on a match connect to the proxy's answer and
/// open the data channel. NoMatch retries after <see cref="InproxyDialerOptions.OfferRetryDelay"/> (±50 %) and may
/// rotate the broker; Limited and MustUpgrade end the dial at once; a local WebRTC failure (gathering, a bad
/// answer, ICE/DTLS/SCTP not completing in time) retries within the dial timeout; a failed broker request
/// rotates the broker and ends the dial (the caller redials). Thread-safe: dials may run concurrently.
/// </summary>
internal sealed class InproxyDialer
{
    private const double RetryJitter = 0.5;

    private readonly InproxyDialerOptions _options;
    private readonly BrokerClient _brokers;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly DialRateLimiter _rateLimiter;

    public InproxyDialer(InproxyDialerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _brokers = options.Brokers!;
        _time = options.TimeProvider;
        _log = (options.LoggerFactory ?? NullLoggerFactory.Instance).CreateLogger("Inroad.Client.Dial");
        _rateLimiter = new DialRateLimiter(options.DialRateLimit, _time);
    }

    /// <summary>Dials through a proxy to <paramref name="destination"/>.</summary>
    /// <exception cref="InproxyDialException">Limited, MustUpgrade, Timeout, or Failed (broker request).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="ct"/> was cancelled.</exception>
    public async Task<InproxyConnection> DialAsync(InproxyDestination destination, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(destination);
        if (destination.NetworkProtocol != 0)
        {
            throw new NotSupportedException("Only TCP destinations (a reliable, ordered data channel) are supported.");
        }

        byte[] secret = _options.RootObfuscationSecret ?? RandomNumberGenerator.GetBytes(32);
        TrafficShapingParameters? shapingOffer = ChooseShaping(_options.TrafficShaping, _options.TrafficShapingProbability, secret);
        DataChannelShaping? shaping = InproxyShaping.For(shapingOffer, secret);
        bool personal = _options.PersonalCompartmentId is not null;
        double rotate = _options.NoMatchRotateProbability ?? (personal ? 1.0 : 0.5);
        TimeSpan offerTimeout = personal ? BrokerRequestTimeouts.PersonalOffer : BrokerRequestTimeouts.Offer;
        long started = _time.GetTimestamp();

        using var deadline = new CancellationTokenSource(_options.DialTimeout, _time);
        using var dial = CancellationTokenSource.CreateLinkedTokenSource(ct, deadline.Token);
        CancellationToken token = dial.Token;
        int attempt = 0;
        MappedUdpPort? mapped = null; // one mapping per dial, reused by its attempts; the connection owns it on success
        try
        {
            await _rateLimiter.WaitAsync(token).ConfigureAwait(false); // inside the dial timeout: a long queue times out
            _options.Nat?.Start();
            mapped = _options.Nat is { } nat ? await nat.TryMapUdpPortAsync(waitForProbe: false, token).ConfigureAwait(false) : null;
            while (true)
            {
                attempt++;
                long attemptStarted = _time.GetTimestamp();
                RtcPeerConnection peer;
                string offer;
                try
                {
                    (peer, offer) = await RtcPeerConnection.CreateOfferAsync(PeerOptions(secret, mapped), token).ConfigureAwait(false);
                }
                catch (Exception e) when (IsLocalWebRtcFailure(e, token))
                {
                    InproxyDialLog.WebRtcFailed(_log, attempt, e.Message);
                    if (mapped is not null)
                    {
                        // The mapped port may have been taken meanwhile: go on with normal candidates.
                        await mapped.DisposeAsync().ConfigureAwait(false);
                        mapped = null;
                    }

                    await RetryDelayAsync(token).ConfigureAwait(false);
                    continue;
                }

                bool keep = false;
                try
                {
                    BrokerSpec broker = _brokers.Current;
                    long offerStarted = _time.GetTimestamp();
                    ClientOfferResponse response;
                    try
                    {
                        response = await _brokers.RequestAsync<ClientOfferRequest, ClientOfferResponse>(
                            broker,
                            Offer(destination, offer, secret, shapingOffer, mapped is not null),
                            TimeSpan.Zero,
                            offerTimeout,
                            token).ConfigureAwait(false);
                    }
                    catch (Exception e) when (IsBrokerFailure(e) && !token.IsCancellationRequested)
                    {
                        _brokers.Rotate();
                        throw Fail(InproxyDialFailure.Failed, $"broker request failed: {e.Message}", attempt, e);
                    }

                    if (response.MustUpgrade)
                    {
                        throw Fail(InproxyDialFailure.MustUpgrade, "the broker requires a newer protocol version", attempt);
                    }

                    if (response.Limited)
                    {
                        throw Fail(InproxyDialFailure.Limited, "the broker limited the offer", attempt);
                    }

                    if (response.NoMatch || string.IsNullOrEmpty(response.ProxyAnswerSdp) || response.ConnectionId.IsZero)
                    {
                        bool rotated = rotate >= 1 || (rotate > 0 && Random.Shared.NextDouble() < rotate);
                        if (rotated)
                        {
                            _brokers.Rotate();
                        }

                        InproxyDialLog.NoMatch(_log, attempt, broker.Endpoint, rotated ? ", rotated broker" : "");
                        await RetryDelayAsync(token).ConfigureAwait(false);
                        continue;
                    }

                    long connectStarted = _time.GetTimestamp();
                    Stream stream;
                    using (var ready = CancellationTokenSource.CreateLinkedTokenSource(token))
                    {
                        ready.CancelAfter(_options.DataChannelTimeout);
                        try
                        {
                            await peer.ConnectAsync(response.ProxyAnswerSdp, ready.Token).ConfigureAwait(false);
                            stream = await peer.OpenStreamAsync(RandomLabel(), shaping, ready.Token).ConfigureAwait(false);
                        }
                        catch (Exception e) when (IsLocalWebRtcFailure(e, token))
                        {
                            InproxyDialLog.WebRtcFailed(_log, attempt, e.Message);
                            await RetryDelayAsync(token).ConfigureAwait(false);
                            continue;
                        }
                    }

                    keep = true;
                    long now = _time.GetTimestamp();
                    var timings = new InproxyDialTimings(
                        peer.GatheringTime,
                        _time.GetElapsedTime(offerStarted, connectStarted),
                        _time.GetElapsedTime(connectStarted, now),
                        _time.GetElapsedTime(started, attemptStarted),
                        _time.GetElapsedTime(started, now));
                    InproxyDialLog.Connected(_log, attempt, (long)timings.Total.TotalMilliseconds, shaping is not null, peer.DtlsProfile?.ToString(), peer.SelectedRemoteEndPoint?.ToString() ?? "?");
                    var connection = new InproxyConnection(_brokers, broker, peer, stream, response, secret, shaping is not null, attempt, timings, mapped);
                    mapped = null;
                    return connection;
                }
                finally
                {
                    if (!keep)
                    {
                        await peer.DisposeAsync().ConfigureAwait(false);
                    }
                }
            }
        }
        catch (OperationCanceledException e) when (deadline.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            throw Fail(InproxyDialFailure.Timeout, $"no data channel within {_options.DialTimeout}", attempt, e);
        }
        finally
        {
            if (mapped is not null)
            {
                await mapped.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>A broker request failed in transport, session, or decoding (not a cancellation).</summary>
    internal static bool IsBrokerFailure(Exception e) => e is SessionException or InvalidDataException or HttpRequestException or IOException;

    /// <summary>
    /// Whether to shape: a deterministic draw from the root secret (HKDF context "inroad-traffic-shaping-select"),
    /// so a replayed secret makes the same choice.
    /// </summary>
    internal static TrafficShapingParameters? ChooseShaping(TrafficShapingParameters? parameters, double probability, ReadOnlySpan<byte> secret)
    {
        if (parameters is null || probability <= 0)
        {
            return null;
        }

        Span<byte> draw = stackalloc byte[8];
        HKDF.Expand(HashAlgorithmName.SHA256, secret, draw, Encoding.ASCII.GetBytes("inroad-traffic-shaping-select"));
        double u = (BitConverter.ToUInt64(draw) >> 11) * (1.0 / (1UL << 53));
        return u < probability ? parameters : null;
    }

    /// <summary>Candidate types self-reported to the broker, read from our offer (port-mapped ones look like host).</summary>
    internal static IReadOnlyList<int> CandidateTypes(string sdp, bool hasPortMapping)
    {
        var types = new SortedSet<int>();
        foreach (string line in sdp.Split('\n'))
        {
            if (!line.StartsWith("a=candidate:", StringComparison.Ordinal))
            {
                continue;
            }

            int typ = line.IndexOf(" typ ", StringComparison.Ordinal);
            string kind = typ < 0 ? "" : line[(typ + 5)..].Split(' ', 2)[0].Trim();
            _ = types.Add(kind switch
            {
                "host" => 1,
                "srflx" => 3,
                "prflx" => 4,
                _ => 0,
            });
        }

        if (hasPortMapping)
        {
            _ = types.Add(2);
        }

        return [.. types];
    }

    // RtcPeerConnection throws RtcPeerException from ConnectAsync, but gathering and channel opening can surface the
    // layers' own (internal) exception types, so anything but a programming error or our own cancellation counts.
    private static bool IsLocalWebRtcFailure(Exception e, CancellationToken dial) =>
        !dial.IsCancellationRequested
        && e is not (InproxyDialException or NullReferenceException or InvalidCastException or IndexOutOfRangeException or ObjectDisposedException);

    private static InproxyDialException Fail(InproxyDialFailure failure, string reason, int attempts, Exception? inner = null) =>
        new(failure, $"In-proxy dial failed ({failure}): {reason}", attempts, inner);

    // Label = random hex of 1..256 random bytes, so the DATA_CHANNEL_OPEN size varies (design §6.4).
    private static string RandomLabel() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(RandomNumberGenerator.GetInt32(1, 257)));

    private ClientOfferRequest Offer(InproxyDestination destination, string sdp, byte[] secret, TrafficShapingParameters? shaping, bool portMapped) => new()
    {
        Metrics = new PeerMetrics
        {
            Parameters = _options.ApiParameters,
            ProtocolVersion = ProtocolVersions.Latest,
            NatType = _options.Nat?.NatType ?? _options.NatType,
            PortMappingTypes = _options.Nat?.PortMappingTypes ?? _options.PortMappingTypes,
        },
        CommonCompartmentIds = _options.PersonalCompartmentId is null ? _options.CommonCompartmentIds : [],
        PersonalCompartmentIds = _options.PersonalCompartmentId is Id32 personal ? [personal] : [],
        ClientOfferSdp = sdp,
        IceCandidateTypes = CandidateTypes(sdp, portMapped || _options.WebRtc.InjectedCandidates.Count > 0),
        ClientRootObfuscationSecret = secret,
        DoDtlsRandomization = true, // always true, as legacy proxies expect (design §2.2)
        TrafficShaping = shaping,
        PackedDestinationServerEntry = destination.SignedServerEntry,
        NetworkProtocol = destination.NetworkProtocol,
        DestinationAddress = destination.Address,
    };

    private RtcPeerOptions PeerOptions(byte[] secret, MappedUdpPort? mapped)
    {
        RtcPeerOptions options = _options.WebRtc.ForConnection(secret);
        if (mapped is not null)
        {
            options.Port = mapped.LocalPort;
            options.InjectedCandidates = [.. options.InjectedCandidates, mapped.ExternalEndPoint];
        }

        return options;
    }

    private Task RetryDelayAsync(CancellationToken token)
    {
        double factor = 1 + (RetryJitter * ((2 * Random.Shared.NextDouble()) - 1));
        return Task.Delay(_options.OfferRetryDelay * factor, _time, token);
    }
}
