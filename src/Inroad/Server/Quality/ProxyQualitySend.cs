using Inroad.Brokers;
using Inroad.Protocol.Messages;

namespace Inroad.Server.Quality;

/// <summary>
/// Sends one quality request to one broker and completes when the broker acknowledged it; throws on any failure.
/// The token carries the reporter's per-request timeout.
/// </summary>
internal delegate Task ProxyQualitySend(BrokerSpec broker, ServerProxyQualityRequest request, CancellationToken cancellationToken);
