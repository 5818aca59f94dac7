namespace Inroad.Sessions.Tests.Sessions;

/// <summary>Hands packets to a responder after yielding, so in-process callers really run concurrently.</summary>
internal sealed class YieldingRoundTripper(ResponderSessions responder, SessionRequestHandler handler) : IRoundTripper
{
    public async ValueTask<ReadOnlyMemory<byte>> RoundTripAsync(ReadOnlyMemory<byte> packet, TimeSpan delay, TimeSpan timeout, CancellationToken cancellationToken)
    {
        await Task.Yield();
        ResponderResult result = await responder.HandlePacketAsync(packet, handler, cancellationToken);
        return result.Kind switch
        {
            ResponderResultKind.Reply => result.Packet,
            ResponderResultKind.NoReply => ReadOnlyMemory<byte>.Empty,
            _ => throw new IOException("404"),
        };
    }
}
