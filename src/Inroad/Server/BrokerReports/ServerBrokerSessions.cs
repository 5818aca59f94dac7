using Inroad.Protocol;
using Inroad.Protocol.Messages;
using Inroad.Sessions;
using Inroad.Sessions.Keys;
using Inroad.Sessions.Records;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Inroad.Server.BrokerReports;

/// <summary>
/// The tunnel server's end of the broker → server report (design §3.1, §5): a Noise responder that accepts only the
/// allow-listed brokers, reached through the client. The client hands over the broker's relay packet from its
/// ClientOfferResponse; when the broker already has a session with us that packet is the sealed report, otherwise
/// we answer with a handshake message (or, after a restart, a reset token) that the client carries to the broker,
/// and the loop repeats (the caller bounds it at 10 round trips). A report counts only when it authenticated from
/// an allow-listed broker and names the connection the client claims: the broker-observed client IP in it is what
/// the server then uses for GeoIP and logs. A relaying client can neither forge, replay nor redirect a report, and
/// cannot kill a broker's session by sending garbage. Thread-safe.
/// </summary>
internal sealed class ServerBrokerSessions : IBrokerReportRelay, IDisposable
{
    /// <summary>Most packets the server sends the broker through the client for one report (design §5).</summary>
    public const int MaxRelayRoundTrips = BrokerReportRelay.MaxRelayRoundTrips;

    private readonly ResponderSessions _sessions;
    private volatile HashSet<PeerId> _brokers;
    private readonly ILogger _logger;

    public ServerBrokerSessions(ServerBrokerSessionsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _brokers = [.. options.Brokers!.Select(b => b.Id)];
        _sessions = new ResponderSessions(options.ToResponderOptions());
        _logger = (ILogger?)options.LoggerFactory?.CreateLogger("Inroad.Server.BrokerReports") ?? NullLogger.Instance;
    }

    /// <summary>Replaces the broker allow-list (tactics changed); sessions of brokers no longer listed are dropped at once.</summary>
    public void SetBrokers(IReadOnlyCollection<SessionPublicKey> brokers)
    {
        ArgumentNullException.ThrowIfNull(brokers);
        if (brokers.Count == 0 || brokers.Any(b => b is null))
        {
            throw new ArgumentException("at least one broker key is required", nameof(brokers));
        }

        _brokers = [.. brokers.Select(b => b.Id)];
        _sessions.SetKnownInitiators(brokers);
    }

    /// <summary>Established broker sessions held.</summary>
    public int SessionCount => _sessions.SessionCount;

    /// <summary>Feeds one packet that arrived from the client (which relays it from the broker). Never throws for bad input.</summary>
    /// <param name="packetFromBroker">The obfuscated session packet.</param>
    /// <param name="expectedConnectionId">The connection ID the client presented in its tunnel handshake.</param>
    /// <param name="ct">Cancels the call.</param>
    public async ValueTask<BrokerRelayStep> HandlePacketAsync(ReadOnlyMemory<byte> packetFromBroker, Id32 expectedConnectionId, CancellationToken ct)
    {
        BrokerServerReport? report = null;
        PeerId broker = default;
        ResponderResult result = await _sessions.HandlePacketAsync(
            packetFromBroker,
            (initiator, record, _) =>
            {
                broker = initiator;
                report = CborRecords.TryUnmarshal(record.ToArray(), out BrokerServerReport? r) ? r : null;
                return ValueTask.FromResult<byte[]?>(null); // one-way: nothing goes back
            },
            ct).ConfigureAwait(false);

        switch (result.Kind)
        {
            case ResponderResultKind.Reply:
                return new BrokerRelayStep(result.Packet, null);
            case ResponderResultKind.Rejected:
                ServerBrokerLog.Rejected(_logger);
                return default;
        }

        if (report is null || !_brokers.Contains(broker))
        {
            ServerBrokerLog.NotAReport(_logger, broker.ToString());
            return default;
        }

        if (expectedConnectionId.IsZero || !report.ConnectionId.Equals(expectedConnectionId))
        {
            ServerBrokerLog.WrongConnection(_logger, broker.ToString());
            return default;
        }

        return new BrokerRelayStep(null, new VerifiedBrokerReport(broker, report));
    }

    public void Dispose() => _sessions.Dispose();
}
