using System.Net;
using Inroad.Broker.Compartments;
using Inroad.Broker.Destinations;
using System.Collections.Concurrent;
using System.IO.Enumeration;
using Inroad.Broker.Matching;
using Inroad.Broker.Quality;
using Inroad.Broker.Reports;
using Inroad.Broker.Sdp;
using Inroad.Geo;
using Inroad.Protocol;
using Inroad.Protocol.Messages;
using Inroad.Sessions.Records;

namespace Inroad.Broker.Service;

/// <summary>
/// The broker API (design §2.4, §2.5): takes a decrypted request record from an authenticated peer and
/// returns the response record. Outcomes follow the design table: NoMatch on timeout (proxy re-announces
/// without backoff), Limited for per-IP limits, refused destinations and proxy answer errors (requester
/// backs off), MustUpgrade + NoMatch for versions below the minimum, NoAwaitingClient for an answer after
/// the client left. Malformed records and load shedding throw <see cref="BrokerException"/> (generic 404).
/// With proxy quality on (design §4.5), tunnel servers seen in validated offers may report which proxies carried
/// good tunnels (ServerProxyQualityRequest); such proxies announce into the priority queues when the prioritise
/// filter selects them, and a priority proxy with quality for a client's ASN counts as NAT-preferred for it.
/// Disposing releases the report relay's sessions; the HTTP host must be stopped first.
/// </summary>
internal sealed class BrokerService : IAsyncDisposable
{
    // Servers allowed to report quality: more than any network runs means someone mints entries; start over.
    private const int MaxKnownReporters = 100_000;

    private readonly BrokerServiceOptions _options;
    private readonly Matcher _matcher;
    private readonly CommonCompartments _common;
    private readonly DestinationCheck _destinations;
    private readonly IGeoLookup _geo;
    private readonly CandidateFilter _filter;
    private readonly TimeProvider _time;
    private readonly ServerReportRelay _reports;
    private readonly ProxyQualityOptions _qualityOptions;
    private readonly ProxyQualityStore _quality;
    private readonly ConcurrentDictionary<Id32, byte> _knownReporters = new();
    private readonly ITimer _reaper;
    private int _disposed;

    // Peers that went quiet have their per-IP limiter state forgotten this often (it equals a fresh one by then).
    private static readonly TimeSpan ReapInterval = TimeSpan.FromMinutes(5);

    public BrokerService(BrokerServiceOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _qualityOptions = options.Quality;
        _quality = new ProxyQualityStore(options.Quality);
        if (options.Quality.Enabled)
        {
            options.Matcher.HasClientQuality ??= (proxyId, proxyAsn, clientAsn) => _quality.HasQuality(new ProxyQualityKey(proxyId, proxyAsn), clientAsn, NowMs);
        }

        _matcher = new Matcher(options.Matcher);
        _common = options.CommonCompartments!;
        _destinations = options.Destinations!;
        _geo = options.Geo!;
        _filter = options.CreateFilter();
        _time = options.TimeProvider;
        _reports = new ServerReportRelay(options.Reports);
        _reaper = _time.CreateTimer(static s => ((BrokerService)s!).Reap(), this, ReapInterval, ReapInterval);
    }

    private void Reap() => _ = _matcher.ReapRateLimiters(NowMs);

    /// <summary>The matcher (for metrics and tests).</summary>
    public Matcher Matcher => _matcher;

    /// <summary>The broker → server report relay (for metrics and tests).</summary>
    public ServerReportRelay Reports => _reports;

    /// <summary>Recent proxy quality (for metrics and tests).</summary>
    public ProxyQualityStore Quality => _quality;

    /// <summary>The peer address of the latest request (for tests of the HTTP host's forwarding rules).</summary>
    internal IPAddress? LastPeerIp { get; private set; }

    /// <summary>Handles one request record from <paramref name="peerId"/> (its session key) seen at <paramref name="peerIp"/>.</summary>
    public async ValueTask<byte[]> HandleAsync(Id32 peerId, IPAddress peerIp, ReadOnlyMemory<byte> record, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(peerIp);
        if (Volatile.Read(ref _disposed) != 0)
        {
            throw new BrokerException("stopped");
        }

        LastPeerIp = peerIp;
        if (!RecordFraming.TryPeekType(record.Span, out RecordType type))
        {
            throw new BrokerException("not a record");
        }

        return type switch
        {
            RecordType.ProxyAnnounceRequest => CborRecords.Marshal(await AnnounceAsync(peerId, peerIp, Decode<ProxyAnnounceRequest>(record), cancellationToken).ConfigureAwait(false)),
            RecordType.ClientOfferRequest => CborRecords.Marshal(await OfferAsync(peerIp, Decode<ClientOfferRequest>(record), cancellationToken).ConfigureAwait(false)),
            RecordType.ProxyAnswerRequest => CborRecords.Marshal(Answer(peerId, Decode<ProxyAnswerRequest>(record))),
            RecordType.ClientRelayedPacketRequest => CborRecords.Marshal(await RelayAsync(Decode<ClientRelayedPacketRequest>(record), cancellationToken).ConfigureAwait(false)),
            RecordType.ServerProxyQualityRequest => CborRecords.Marshal(QualityReport(peerId, Decode<ServerProxyQualityRequest>(record))),
            _ => throw new BrokerException("unexpected record type"),
        };
    }

    private static T Decode<T>(ReadOnlyMemory<byte> record)
        where T : ICborRecord<T> =>
        CborRecords.TryUnmarshal(record, out T? value) ? value! : throw new BrokerException("malformed request");

    private long NowMs => (long)(_time.GetTimestamp() * 1000.0 / _time.TimestampFrequency);

    private async Task<ProxyAnnounceResponse> AnnounceAsync(Id32 proxyId, IPAddress proxyIp, ProxyAnnounceRequest request, CancellationToken cancellationToken)
    {
        PeerMetrics metrics = request.Metrics!;
        if (metrics.ProtocolVersion < ProtocolVersions.Minimum)
        {
            return new ProxyAnnounceResponse { MustUpgrade = true, NoMatch = true };
        }

        // A tactics precheck (design §8.1) only establishes the proxy's session: answered at once, never
        // enqueued, so the proxy's other announcements need not wait for a long poll's handshake.
        if (request.PreCheckTactics)
        {
            return new ProxyAnnounceResponse { NoMatch = true };
        }

        CompartmentKey compartment;
        if (request.PersonalCompartmentIds.Count == 1)
        {
            compartment = new CompartmentKey(CompartmentKind.Personal, request.PersonalCompartmentIds[0]);
        }
        else if (_common.TryAssign(proxyId, metrics.Parameters.SponsorId, out Id32 common))
        {
            compartment = new CompartmentKey(CompartmentKind.Common, common);
        }
        else
        {
            return new ProxyAnnounceResponse { Limited = true };
        }

        long now = NowMs;
        GeoKey proxyGeo = _geo.Lookup(proxyIp);
        var ticket = new AnnouncementTicket(
            proxyId,
            compartment,
            compartment.Kind == CompartmentKind.Common && IsPrioritized(proxyId, proxyGeo, metrics, now),
            metrics.EffectiveNatType.TraversalClass,
            Math.Min(metrics.ProtocolVersion, ProtocolVersions.Latest),
            proxyGeo,
            RateLimitKey.From(proxyIp),
            now + (long)_options.ProxyAnnounceTimeout.TotalMilliseconds,
            new AnnouncementContext(request, proxyIp));

        switch (_matcher.Announce(ticket, now))
        {
            case MatchOutcome.Limited:
                return new ProxyAnnounceResponse { Limited = true };
            case MatchOutcome.Shed:
                throw new BrokerException("shedding load");
        }

        ProxyMatch? match = await WaitAsync(ticket, _options.ProxyAnnounceTimeout, () => _matcher.CancelAnnouncement(ticket), cancellationToken).ConfigureAwait(false);
        if (match is null)
        {
            return new ProxyAnnounceResponse { NoMatch = true };
        }

        if (_qualityOptions.Enabled && !match.IsPersonal)
        {
            _quality.Matched(new ProxyQualityKey(proxyId, proxyGeo.Asn), NowMs); // no report for it within the deadline ⇒ a failed match
        }

        var offer = (OfferContext)match.Offer.Payload!;
        ClientOfferRequest o = offer.Request;
        return new ProxyAnnounceResponse
        {
            ConnectionId = match.ConnectionId,
            SelectedProtocolVersion = match.ProtocolVersion,
            ClientOfferSdp = offer.FilteredSdp,
            ClientRootObfuscationSecret = o.ClientRootObfuscationSecret,
            DoDtlsRandomization = o.DoDtlsRandomization,
            TrafficShaping = o.TrafficShaping,
            NetworkProtocol = o.NetworkProtocol,
            DestinationAddress = o.DestinationAddress,
            UseMediaStreams = o.UseMediaStreams,
            ClientRegion = offer.ClientGeo.CountryCode,
        };
    }

    private async Task<ClientOfferResponse> OfferAsync(IPAddress clientIp, ClientOfferRequest request, CancellationToken cancellationToken)
    {
        PeerMetrics metrics = request.Metrics!;
        if (metrics.ProtocolVersion < ProtocolVersions.Minimum)
        {
            return new ClientOfferResponse { MustUpgrade = true, NoMatch = true };
        }

        bool personal = request.PersonalCompartmentIds.Count > 0;
        IReadOnlyList<Id32> ids = personal ? request.PersonalCompartmentIds : request.CommonCompartmentIds.Where(_common.Contains).ToArray();
        if (ids.Count == 0 || request.TrafficShaping is { IsSane: false } || string.IsNullOrEmpty(request.ClientOfferSdp)
            || _destinations.Check(request.PackedDestinationServerEntry, request.NetworkProtocol, request.DestinationAddress, out ServerEntry? server) != DestinationVerdict.Allowed)
        {
            return new ClientOfferResponse { Limited = true };
        }

        if (_qualityOptions.Enabled)
        {
            RememberReporter(server!);
        }

        GeoKey clientGeo = _geo.Lookup(clientIp);
        _ = _filter.TryFilter(request.ClientOfferSdp, clientGeo, personal, isAnswer: false, out string filtered, out CandidateFilterResult filterResult);
        TimeSpan timeout = personal ? _options.ClientOfferPersonalTimeout : _options.ClientOfferTimeout;
        long now = NowMs;
        var context = new OfferContext(request, filtered, clientIp, clientGeo)
        {
            ClientIceMismatch = filterResult.GeoMismatches > 0 ? filterResult.FirstMismatch : null,
        };
        var ticket = new OfferTicket(
            personal ? CompartmentKind.Personal : CompartmentKind.Common,
            ids,
            metrics.EffectiveNatType.TraversalClass,
            Math.Min(metrics.ProtocolVersion, ProtocolVersions.Latest),
            request.UseMediaStreams,
            clientGeo,
            RateLimitKey.From(clientIp),
            now + (long)timeout.TotalMilliseconds,
            context);

        switch (_matcher.Offer(ticket, now))
        {
            case MatchOutcome.Limited:
                return new ClientOfferResponse { Limited = true };
            case MatchOutcome.Shed:
                throw new BrokerException("shedding load");
            case MatchOutcome.NoMatch:
                return new ClientOfferResponse { NoMatch = true };
        }

        long started = NowMs;
        ProxyMatch? match = await WaitAsync(ticket, timeout, () => _matcher.CancelOffer(ticket), cancellationToken).ConfigureAwait(false);
        if (match is null)
        {
            return new ClientOfferResponse { NoMatch = true };
        }

        TimeSpan left = timeout - TimeSpan.FromMilliseconds(NowMs - started);
        string? answer;
        try
        {
            // No time left after the match is a timeout too: the proxy's late answer must find no client.
            answer = left > TimeSpan.Zero ? await context.Answer.Task.WaitAsync(left, _time, cancellationToken).ConfigureAwait(false) : throw new TimeoutException();
        }
        catch (TimeoutException)
        {
            _ = _matcher.RemovePendingAnswer(match.ConnectionId);
            return new ClientOfferResponse { NoMatch = true };
        }
        catch (OperationCanceledException)
        {
            _ = _matcher.RemovePendingAnswer(match.ConnectionId);
            throw;
        }

        if (answer is null)
        {
            return new ClientOfferResponse { Limited = true };
        }

        byte[] relayPacket = await _reports.StartAsync(server!, Report(match, context), cancellationToken).ConfigureAwait(false);
        return new ClientOfferResponse
        {
            ConnectionId = match.ConnectionId,
            SelectedProtocolVersion = match.ProtocolVersion,
            ProxyAnswerSdp = answer,
            RelayPacketToServer = relayPacket,
        };
    }

    // What the tunnel server learns about this connection (design §2.2): the addresses only the broker saw.
    private static BrokerServerReport Report(ProxyMatch match, OfferContext offer)
    {
        var announcement = (AnnouncementContext)match.Announcement.Payload!;
        PeerMetrics clientMetrics = offer.Request.Metrics!;
        return new BrokerServerReport
        {
            ProxyId = match.Announcement.ProxyId,
            ConnectionId = match.ConnectionId,
            MatchedCommonCompartments = !match.IsPersonal,
            MatchedPersonalCompartments = match.IsPersonal,
            ClientNatType = clientMetrics.NatType,
            ClientPortMappingTypes = clientMetrics.PortMappingTypes,
            ClientIp = offer.ClientIp.ToString(),
            ProxyIp = announcement.ProxyIp.ToString(),
            ProxyMetrics = announcement.Request.Metrics,
            ProxyIsPriority = match.IsPriority,
            ProxyDtlsFingerprint = offer.AnswerRequest?.ProxyDtlsFingerprint,
            ClientIceRegion = NullIfEmpty(offer.ClientIceMismatch?.CountryCode),
            ClientIceAsn = AsnText(offer.ClientIceMismatch),
            ProxyIceRegion = NullIfEmpty(offer.ProxyIceMismatch?.CountryCode),
            ProxyIceAsn = AsnText(offer.ProxyIceMismatch),
        };
    }

    private static string? NullIfEmpty(string? s) => string.IsNullOrEmpty(s) ? null : s;

    private static string? AsnText(GeoKey? geo) => geo is { Asn: > 0 } g ? g.Asn.ToString(System.Globalization.CultureInfo.InvariantCulture) : null;

    private ProxyAnswerResponse Answer(Id32 proxyId, ProxyAnswerRequest request)
    {
        if (!_matcher.TryTakePendingAnswer(proxyId, request.ConnectionId, out ProxyMatch? match))
        {
            return new ProxyAnswerResponse { NoAwaitingClient = true };
        }

        var offer = (OfferContext)match!.Offer.Payload!;
        string? filtered = null;
        if (string.IsNullOrEmpty(request.AnswerError) && request.ProxyAnswerSdp is { } sdp
            && _filter.TryFilter(sdp, match.Announcement.Geo, match.IsPersonal, isAnswer: true, out string f, out CandidateFilterResult result))
        {
            filtered = f;
            offer.ProxyIceMismatch = result.GeoMismatches > 0 ? result.FirstMismatch : null;
        }

        offer.AnswerRequest = request;
        bool delivered = offer.Answer.TrySetResult(filtered);
        return new ProxyAnswerResponse { NoAwaitingClient = !delivered };
    }

    // The client carries one packet of the broker → server report relay each way; empty means the relay is finished.
    private async Task<ClientRelayedPacketResponse> RelayAsync(ClientRelayedPacketRequest request, CancellationToken cancellationToken) =>
        new() { PacketToServer = await _reports.ContinueAsync(request.ConnectionId, request.PacketFromServer, cancellationToken).ConfigureAwait(false) };

    // Priority (design §4.5): quality for the proxy on its current ASN, the prioritise filter, the minimum version, a coin flip.
    private bool IsPrioritized(Id32 proxyId, GeoKey proxyGeo, PeerMetrics metrics, long nowMs)
    {
        ProxyQualityOptions q = _qualityOptions;
        if (!q.Enabled || q.PrioritizeFilter.Count == 0 || metrics.ProtocolVersion < q.PrioritizeMinVersion
            || !_quality.HasQuality(new ProxyQualityKey(proxyId, proxyGeo.Asn), nowMs))
        {
            return false;
        }

        foreach ((string name, string[] patterns) in q.PrioritizeFilter)
        {
            string value = ParameterValue(metrics.Parameters, name);
            if (!patterns.Any(p => FileSystemName.MatchesSimpleExpression(p, value, ignoreCase: false)))
            {
                return false;
            }
        }

        return q.PrioritizeProbability >= 1 || Random.Shared.NextDouble() < q.PrioritizeProbability;
    }

    private static string ParameterValue(ApiParameters parameters, string name) => name switch
    {
        "sponsor_id" => parameters.SponsorId ?? string.Empty,
        "client_platform" => parameters.ClientPlatform ?? string.Empty,
        "client_version" => parameters.ClientVersion ?? string.Empty,
        "network_type" => parameters.NetworkType.ToString(),
        _ => string.Empty,
    };

    // A server that a client named in a validated offer may report proxy quality (design §3.1): its session ID.
    private void RememberReporter(ServerEntry server)
    {
        if (_reports.TryGetServerId(server, out Id32 id) && !_knownReporters.ContainsKey(id))
        {
            if (_knownReporters.Count >= MaxKnownReporters)
            {
                _knownReporters.Clear();
            }

            _knownReporters[id] = 0;
        }
    }

    // ServerProxyQualityRequest: only from a known server; every proxy key must parse. Client ASNs are decimal text
    // (anything else is "unknown"); zero or negative counts carry no quality.
    private ServerProxyQualityResponse QualityReport(Id32 peerId, ServerProxyQualityRequest request)
    {
        if (!_qualityOptions.Enabled || !_knownReporters.ContainsKey(peerId))
        {
            throw new BrokerException("quality report from an unknown server");
        }

        if (request.QualityCounts.Count > _qualityOptions.MaxRequestEntries)
        {
            throw new BrokerException("too many quality entries");
        }

        long now = NowMs;
        var asns = new List<uint>();
        foreach (ProxyQualityCounts counts in request.QualityCounts)
        {
            if (!ProxyQualityKey.TryRead(counts.Key.Span, out ProxyQualityKey key))
            {
                throw new BrokerException("malformed proxy quality key");
            }

            asns.Clear();
            foreach ((string clientAsn, long count) in counts.ClientAsnCounts)
            {
                if (count > 0)
                {
                    asns.Add(uint.TryParse(clientAsn, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out uint asn) ? asn : 0);
                }
            }

            if (asns.Count > 0)
            {
                _quality.Report(key, System.Runtime.InteropServices.CollectionsMarshal.AsSpan(asns), now);
            }
        }

        return new ServerProxyQualityResponse();
    }

    /// <summary>Refuses further requests and releases the report relay's sessions and pending relays.</summary>
    public ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _reaper.Dispose();
            _reports.Dispose();
        }

        return ValueTask.CompletedTask;
    }

    // Waits for a ticket; on timeout or cancellation withdraws it (which completes it with null unless a match
    // won the race, in which case the match is returned). Cancellation without a match throws.
    private async Task<ProxyMatch?> WaitAsync(MatchTicket ticket, TimeSpan timeout, Func<bool> withdraw, CancellationToken cancellationToken)
    {
        ProxyMatch? match;
        using (ITimer timer = _time.CreateTimer(static w => ((Func<bool>)w!)(), withdraw, timeout, Timeout.InfiniteTimeSpan))
        using (CancellationTokenRegistration registration = cancellationToken.UnsafeRegister(static w => ((Func<bool>)w!)(), withdraw))
        {
            match = await ticket.WaitAsync().ConfigureAwait(false);
        }

        if (match is null)
        {
            cancellationToken.ThrowIfCancellationRequested();
        }

        return match;
    }
}
