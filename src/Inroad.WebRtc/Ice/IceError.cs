namespace Inroad.WebRtc.Ice;

/// <summary>Why ICE failed.</summary>
internal enum IceError
{
    /// <summary>No pair succeeded before the failure timeout, or every pair failed. Transient (another proxy may work).</summary>
    ConnectivityChecksFailed,

    /// <summary>The selected pair stopped answering consent checks (RFC 7675).</summary>
    ConsentExpired,

    /// <summary>No usable local candidate could be gathered.</summary>
    NoCandidates,

    /// <summary>The agent or transport was closed.</summary>
    Closed,
}
