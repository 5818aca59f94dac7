using System.Collections.Concurrent;
using Inroad.Broker.Destinations;
using Inroad.Protocol;
using Inroad.Protocol.Messages;
using Inroad.Sessions;
using Inroad.Sessions.Keys;
using Inroad.Sessions.Obfuscation;
using Inroad.Sessions.Records;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Inroad.Broker.Reports;

/// <summary>
/// The broker's side of the BrokerServerReport (design §2.2, §5): after a match the broker tells the tunnel server,
/// through the client, who the client really is (its IP as the broker saw it, the proxy, the compartments). The broker
/// is the Noise initiator with its own long-term key; the server is the responder whose key and obfuscation secret
/// come from the verified server entry. With an established session the client's first packet is the sealed report
/// (no extra round trip); otherwise the handshake runs through ClientRelayedPacket requests, at most
/// <see cref="ServerReportRelayOptions.MaxRelayRoundTrips"/> of them. Pending relays are a bounded table keyed by connection ID.
/// The broker never learns whether the server accepted the report. Thread-safe.
/// </summary>
internal sealed class ServerReportRelay : IDisposable
{
    private const int MaxServers = 100_000;

    private readonly ServerReportRelayOptions _options;
    private readonly InitiatorSessions _sessions;
    private readonly PendingReportTable _pending;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, ResponderIdentity> _identities = new(StringComparer.Ordinal);

    public ServerReportRelay(ServerReportRelayOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _sessions = new InitiatorSessions(new InitiatorSessionsOptions
        {
            PrivateKey = options.PrivateKey,
            HandshakeTimeout = options.StepTimeout,
            WaitToShareSession = false, // a waiting relay would hold the client's offer response hostage to another client
            TimeProvider = options.TimeProvider,
            LoggerFactory = options.LoggerFactory,
        });
        _pending = new PendingReportTable(options.MaxPending, options.PendingTtl, options.TimeProvider);
        _logger = (ILogger?)options.LoggerFactory?.CreateLogger("Inroad.Broker.Reports") ?? NullLogger.Instance;
    }

    /// <summary>Our ID as servers see it (what they allow-list).</summary>
    public PeerId Id => _sessions.Id;

    /// <summary>Relays waiting for the client.</summary>
    public int PendingCount => _pending.Count;

    /// <summary>True when the broker holds an established session with the server of <paramref name="entry"/>.</summary>
    public bool HasSession(ServerEntry entry) => Identity(entry) is { } server && _sessions.HasSession(server.PublicKey);

    /// <summary>
    /// Starts relaying <paramref name="report"/> to the server of <paramref name="entry"/> and returns the first packet
    /// for the client to carry (ClientOfferResponse.RelayPacketToServer), or empty when there is nothing to send
    /// (unusable keys in the entry, a failed sessions layer).
    /// </summary>
    public async Task<byte[]> StartAsync(ServerEntry entry, BrokerServerReport report, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentNullException.ThrowIfNull(report);
        if (Identity(entry) is not { } server)
        {
            ServerReportLog.UnusableServerKey(_logger, report.ConnectionId.ToHex());
            return [];
        }

        var pending = new PendingServerReport(report.ConnectionId, server, CborRecords.Marshal(report), _options.StepTimeout, _options.TimeProvider, _logger);
        _pending.Add(report.ConnectionId, pending);
        try
        {
            byte[]? first = await pending.StartAsync(_sessions).WaitAsync(_options.StepTimeout, _options.TimeProvider, cancellationToken).ConfigureAwait(false);
            return first ?? [];
        }
        catch (TimeoutException)
        {
            return [];
        }
    }

    /// <summary>
    /// Serves a ClientRelayedPacketRequest: returns the next packet for the server, or empty when the relay is finished
    /// (unknown or expired connection, report delivered, failure, too many round trips).
    /// </summary>
    public async Task<byte[]> ContinueAsync(Id32 connectionId, ReadOnlyMemory<byte> packetFromServer, CancellationToken cancellationToken)
    {
        if (packetFromServer.IsEmpty || !_pending.TryGet(connectionId, out PendingServerReport? pending))
        {
            return [];
        }

        byte[]? next = await pending!.ContinueAsync(_sessions, packetFromServer, _options.MaxRelayRoundTrips, cancellationToken).ConfigureAwait(false);
        return next ?? [];
    }

    /// <summary>The session ID (X25519 public key) the server of <paramref name="entry"/> uses as an initiator; false for unusable keys.</summary>
    public bool TryGetServerId(ServerEntry entry, out Id32 id)
    {
        ArgumentNullException.ThrowIfNull(entry);
        id = default;
        if (Identity(entry) is not { } server)
        {
            return false;
        }

        id = Id32.From(server.PublicKey.Id.ToArray());
        return true;
    }

    /// <summary>Releases the sessions with servers and forgets pending relays.</summary>
    public void Dispose()
    {
        _pending.Clear();
        _sessions.Dispose();
    }

    // The sessions layer keeps one session per identity record (a new secret instance would start afresh), so every
    // entry naming the same server must map to the same record. Interning also saves checking the key's group
    // membership (a scalar multiplication) on every match.
    private ResponderIdentity? Identity(ServerEntry entry)
    {
        if (entry.SessionPublicKey.Length != 32 || entry.ObfuscationSecret.Length != ObfuscationSecret.Length)
        {
            return null;
        }

        string name = Convert.ToBase64String([.. entry.SessionPublicKey.Span, .. entry.ObfuscationSecret.Span]);
        if (_identities.TryGetValue(name, out ResponderIdentity? known))
        {
            return known;
        }

        if (!SessionPublicKey.TryCreate(entry.SessionPublicKey.Span, out SessionPublicKey? key))
        {
            return null;
        }

        if (_identities.Count >= MaxServers)
        {
            _identities.Clear(); // far more servers than any network has: someone is minting entries; start over
        }

        return _identities.GetOrAdd(name, new ResponderIdentity(key!, ObfuscationSecret.FromBytes(entry.ObfuscationSecret.Span)));
    }
}
