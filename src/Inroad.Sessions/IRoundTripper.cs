namespace Inroad.Sessions;

/// <summary>
/// Carries one obfuscated session packet to a responder and brings back its answer: an HTTP POST through a CDN
/// (broker), a relay through the client (broker → tunnel server), or memory (tests). The sessions layer knows
/// nothing else about the network.
/// </summary>
public interface IRoundTripper
{
    /// <summary>
    /// Sends <paramref name="packet"/> and returns the response packet (empty when the responder sends nothing,
    /// as for one-way messages).
    /// </summary>
    /// <param name="packet">The obfuscated packet; the transport must not keep it after returning.</param>
    /// <param name="delay">Wait before sending (staggers announcements); not part of the timeout.</param>
    /// <param name="timeout">Limit for the network round trip alone.</param>
    /// <param name="cancellationToken">Cancels the whole call.</param>
    /// <returns>The response bytes, now owned by the caller.</returns>
    /// <exception cref="Exception">Any transport failure; the session layer wraps it as <see cref="SessionError.TransportFailed"/>.</exception>
    ValueTask<ReadOnlyMemory<byte>> RoundTripAsync(ReadOnlyMemory<byte> packet, TimeSpan delay, TimeSpan timeout, CancellationToken cancellationToken);

    /// <summary>
    /// Delivers the last packet of a one-way message. A transport with a synchronous answer (HTTP, memory) waits for
    /// it, as a reset token may come back; a relay (broker → client → tunnel server) returns as soon as the packet is
    /// handed over, because it cannot know whether the responder will ever say anything. A reply that arrives later
    /// goes to <see cref="InitiatorSessions.AcceptLateReset"/>. Defaults to <see cref="RoundTripAsync"/>.
    /// </summary>
    /// <returns>The responder's reply when the transport has one now; otherwise empty.</returns>
    ValueTask<ReadOnlyMemory<byte>> DeliverOneWayAsync(ReadOnlyMemory<byte> packet, TimeSpan delay, TimeSpan timeout, CancellationToken cancellationToken) =>
        RoundTripAsync(packet, delay, timeout, cancellationToken);
}
