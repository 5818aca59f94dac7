namespace Inroad.Protocol;

/// <summary>Broker API protocol versions and the per-pair negotiation rule.</summary>
internal static class ProtocolVersions
{
    /// <summary>Data channels only.</summary>
    public const int V1 = 1;

    /// <summary>Adds WebRTC media streams.</summary>
    public const int V2 = 2;

    /// <summary>The newest version this build speaks.</summary>
    public const int Latest = V2;

    /// <summary>Peers below this get MustUpgrade.</summary>
    public const int Minimum = V1;

    /// <summary>
    /// The version a proxy and client will use, or 0 when they cannot be paired: if either is v1 and the
    /// client did not ask for media streams, v1; else the client's version when the proxy's is at least
    /// as new; else no match.
    /// </summary>
    public static int Negotiate(int proxyVersion, int clientVersion, bool clientWantsMediaStreams)
    {
        if (proxyVersion < Minimum || clientVersion < Minimum || (clientWantsMediaStreams && (proxyVersion < V2 || clientVersion < V2)))
        {
            return 0;
        }

        if (proxyVersion == V1 || clientVersion == V1)
        {
            return V1;
        }

        return proxyVersion >= clientVersion ? clientVersion : 0;
    }
}
