namespace Inroad.Proxy;

/// <summary>
/// What a proxy is doing (design §8.4): announcements in flight, clients connecting (matched, WebRTC and
/// destination dial under way) and connected (relaying), bytes relayed since start, per client region, and
/// the counters that show its behaviour towards the broker.
/// </summary>
/// <param name="Announcing">Announcements waiting at the broker.</param>
/// <param name="Connecting">Matched clients not yet relaying.</param>
/// <param name="Connected">Clients relaying.</param>
/// <param name="BytesUp">Bytes written to destinations (client uploads) since start.</param>
/// <param name="BytesDown">Bytes written to clients (client downloads) since start.</param>
/// <param name="Regions">Per client region (the broker's country code, "" when unknown); entries with nothing to show are dropped.</param>
/// <param name="Counters">Totals since start.</param>
/// <param name="BackoffFactor">The current announcement backoff factor (1 = none).</param>
/// <param name="BrokerRetryDelay">The pause (before jitter) after the next broker transport failure: doubles per failure in a row, back to the base on any broker answer.</param>
internal sealed record ProxyActivity(
    int Announcing,
    int Connecting,
    int Connected,
    long BytesUp,
    long BytesDown,
    IReadOnlyDictionary<string, RegionActivity> Regions,
    ProxyCounters Counters,
    int BackoffFactor,
    TimeSpan BrokerRetryDelay)
{
    /// <summary>True when nothing is in flight.</summary>
    public bool IsIdle => Announcing == 0 && Connecting == 0 && Connected == 0;
}

/// <summary>Activity of one client region.</summary>
/// <param name="BytesUp">Bytes its clients uploaded since start.</param>
/// <param name="BytesDown">Bytes its clients downloaded since start.</param>
/// <param name="Connecting">Its clients connecting now.</param>
/// <param name="Connected">Its clients relaying now.</param>
internal readonly record struct RegionActivity(long BytesUp, long BytesDown, int Connecting, int Connected);

/// <summary>Outcome counters of a proxy since start.</summary>
/// <param name="Announcements">Announce requests answered by a broker.</param>
/// <param name="NoMatch">Announcements that ended without a client (re-announced without backoff).</param>
/// <param name="Limited">Announcements the broker refused as Limited (backoff).</param>
/// <param name="MustUpgrade">Announcements the broker refused as too old (backoff).</param>
/// <param name="Matches">Announcements that brought a client.</param>
/// <param name="CapacityExceeded">Matches answered "proxy capacity exceeded" (no slot free; backoff).</param>
/// <param name="AnswerErrors">Matches answered with any error (capacity included).</param>
/// <param name="NoAwaitingClient">Answers that found the client gone.</param>
/// <param name="ClientsRelayed">Clients that reached the relay.</param>
/// <param name="ClientFailures">Matched clients that failed before relaying a byte (backoff).</param>
/// <param name="TransportFailures">Broker requests that failed in transport (no backoff escalation).</param>
/// <param name="Backoffs">Times a backoff started.</param>
internal readonly record struct ProxyCounters(
    long Announcements,
    long NoMatch,
    long Limited,
    long MustUpgrade,
    long Matches,
    long CapacityExceeded,
    long AnswerErrors,
    long NoAwaitingClient,
    long ClientsRelayed,
    long ClientFailures,
    long TransportFailures,
    long Backoffs);
