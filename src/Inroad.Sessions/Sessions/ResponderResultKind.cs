namespace Inroad.Sessions;

/// <summary>What a responder does with an incoming packet.</summary>
public enum ResponderResultKind
{
    /// <summary>Send <see cref="ResponderResult.Packet"/> back (a handshake message, a response or a reset token).</summary>
    Reply,

    /// <summary>The packet was valid and one-way: send nothing (an empty 200 over HTTP).</summary>
    NoReply,

    /// <summary>The packet is not ours or not valid: answer as an ordinary web server would (e.g. 404), reveal nothing.</summary>
    Rejected,
}
