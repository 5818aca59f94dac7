using Inroad.Protocol;

namespace Inroad.Server.Quality;

/// <summary>
/// What the tunnel server knows of one in-proxy tunnel when it asks whether the tunnel was a "quality" one
/// (design §4.5): who relayed it, where the client is, whether the match was personal, and what moved since the
/// API handshake verified the broker's report.
/// </summary>
/// <param name="ProxyId">The proxy's ID, as the broker report names it.</param>
/// <param name="ProxyAsn">The proxy's ASN (GeoIP of the TCP peer the server sees; 0 = unknown).</param>
/// <param name="ClientAsn">The client's ASN (GeoIP of the broker-reported client address; 0 = unknown).</param>
/// <param name="ClientRegion">The client's two-letter country (empty = unknown).</param>
/// <param name="Personal">The broker matched the tunnel in a personal compartment.</param>
/// <param name="BytesUp">Client → server bytes since the handshake.</param>
/// <param name="BytesDown">Server → client bytes since the handshake.</param>
/// <param name="Duration">Time since the handshake.</param>
internal readonly record struct QualityTunnel(
    Id32 ProxyId,
    uint ProxyAsn,
    uint ClientAsn,
    string ClientRegion,
    bool Personal,
    long BytesUp,
    long BytesDown,
    TimeSpan Duration);
