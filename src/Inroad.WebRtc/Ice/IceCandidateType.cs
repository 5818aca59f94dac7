namespace Inroad.WebRtc.Ice;

/// <summary>Candidate types (RFC 8445 §5.1.1), with their RFC 8445 §5.1.2.2 type preferences as Chromium uses them.</summary>
internal enum IceCandidateType
{
    Host = 126,
    PeerReflexive = 110,
    ServerReflexive = 100,
    Relay = 0,
}
