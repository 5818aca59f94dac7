namespace Inroad.Sessions;

/// <summary>
/// A round tripper that hands packets straight to a <see cref="ResponderSessions"/> in the same process: for
/// tests, benchmarks and the demo. A rejected packet fails like an HTTP 404 would.
/// </summary>
internal sealed class InMemoryRoundTripper(ResponderSessions responder, SessionRequestHandler handler) : IRoundTripper
{
    public async ValueTask<ReadOnlyMemory<byte>> RoundTripAsync(ReadOnlyMemory<byte> packet, TimeSpan delay, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (delay > TimeSpan.Zero)
        {
            await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
        }

        ResponderResult result = await responder.HandlePacketAsync(packet, handler, cancellationToken).ConfigureAwait(false);
        return result.Kind switch
        {
            ResponderResultKind.Reply => result.Packet,
            ResponderResultKind.NoReply => ReadOnlyMemory<byte>.Empty,
            _ => throw new SessionException(SessionError.TransportFailed, "responder rejected the packet (404)"),
        };
    }
}
