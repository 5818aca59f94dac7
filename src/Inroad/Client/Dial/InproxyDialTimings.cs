namespace Inroad.Client.Dial;

/// <summary>Where a successful dial's time went (design §8.5's inproxy_dial_*_duration metrics), for the tunnel log.</summary>
/// <param name="IceGathering">Gathering of the attempt that connected.</param>
/// <param name="BrokerOffer">The ClientOffer round trip that matched (includes waiting for a proxy and its answer).</param>
/// <param name="WebRtcConnection">ICE, DTLS and SCTP to an open data channel.</param>
/// <param name="FailedAttempts">Everything before the attempt that connected (NoMatch and local failures with their pauses).</param>
/// <param name="Total">The whole dial.</param>
internal readonly record struct InproxyDialTimings(TimeSpan IceGathering, TimeSpan BrokerOffer, TimeSpan WebRtcConnection, TimeSpan FailedAttempts, TimeSpan Total);
