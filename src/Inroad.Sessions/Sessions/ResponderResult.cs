namespace Inroad.Sessions;

/// <summary>The outcome of <see cref="ResponderSessions.HandlePacketAsync"/>.</summary>
/// <param name="Kind">What to do.</param>
/// <param name="Packet">The obfuscated reply when <paramref name="Kind"/> is <see cref="ResponderResultKind.Reply"/>.</param>
public readonly record struct ResponderResult(ResponderResultKind Kind, byte[]? Packet)
{
    internal static ResponderResult Rejected => new(ResponderResultKind.Rejected, null);

    internal static ResponderResult NoReply => new(ResponderResultKind.NoReply, null);

    internal static ResponderResult Reply(byte[] packet) => new(ResponderResultKind.Reply, packet);
}
