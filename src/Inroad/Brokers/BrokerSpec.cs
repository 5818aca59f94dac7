using Inroad.Sessions;

namespace Inroad.Brokers;

/// <summary>One broker a proxy or client may talk to: where to POST, and the identity its Noise session proves.</summary>
/// <param name="Endpoint">The broker URL (https://, or http:// for HTTP/2 with prior knowledge on loopback).</param>
/// <param name="Identity">The broker's session public key and root obfuscation secret.</param>
/// <param name="FrontingHost">A Host header to send instead of the endpoint's (domain fronting); null sends the endpoint's.</param>
internal sealed record BrokerSpec(Uri Endpoint, ResponderIdentity Identity, string? FrontingHost = null);
