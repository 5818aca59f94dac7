using System.Net;
using Inroad.WebRtc.Stun;

namespace Inroad.WebRtc.Ice;

/// <summary>
/// A pair of our base (one socket per family, so the local side is just the family's host candidate) and a
/// remote candidate, with the state of its connectivity check.
/// </summary>
internal sealed class IceCandidatePair
{
    public IceCandidatePair(IceCandidate local, IceCandidate remote)
    {
        Local = local;
        Remote = remote;
    }

    public IceCandidate Local { get; }

    public IceCandidate Remote { get; }

    public IPEndPoint RemoteEndPoint => Remote.EndPoint;

    public IceCandidatePairState State { get; set; } = IceCandidatePairState.Frozen;

    /// <summary>The controlling agent has nominated this pair (USE-CANDIDATE seen or sent and answered).</summary>
    public bool Nominated { get; set; }

    /// <summary>Controlled side: USE-CANDIDATE arrived before our own check succeeded (RFC 8445 §7.3.1.5).</summary>
    public bool NominateOnSuccess { get; set; }

    // The check in flight.
    public StunTransactionId TransactionId { get; set; }

    public byte[]? Request { get; set; }

    public int Sends { get; set; }

    public TimeSpan NextRetransmit { get; set; }

    public TimeSpan FirstSentAt { get; set; }

    /// <summary>Round-trip time of the last answered check.</summary>
    public TimeSpan? RoundTripTime { get; set; }

    /// <summary>RFC 8445 §6.1.2.3 pair priority.</summary>
    public ulong Priority(IceRole role)
    {
        ulong g = role == IceRole.Controlling ? Local.Priority : Remote.Priority;
        ulong d = role == IceRole.Controlling ? Remote.Priority : Local.Priority;
        return (Math.Min(g, d) << 32) + (2 * Math.Max(g, d)) + (g > d ? 1UL : 0UL);
    }

    public override string ToString() => $"{Local.EndPoint}->{Remote.EndPoint} {State}{(Nominated ? " nominated" : string.Empty)}";
}
