using Inroad.Protocol.Messages;
using Inroad.Sessions.Keys;

namespace Inroad.Server.BrokerReports;

/// <summary>A BrokerServerReport that authenticated from an allow-listed broker and names the expected connection.</summary>
/// <param name="BrokerId">The broker's ID (its X25519 public key, as the Noise handshake revealed it).</param>
/// <param name="Report">The report: the client's real IP, the proxy, the compartments, NAT types.</param>
internal sealed record VerifiedBrokerReport(PeerId BrokerId, BrokerServerReport Report);
