// TEMPORARY: the H1 contract types, replaced by the relay branch on merge.
using Inroad.Protocol;
using Inroad.Protocol.Messages;
using Inroad.Sessions.Keys;

namespace Inroad.Server.BrokerReports;

internal readonly record struct BrokerRelayStep(byte[]? PacketToBroker, VerifiedBrokerReport? Report);

internal sealed record VerifiedBrokerReport(PeerId BrokerId, BrokerServerReport Report);
