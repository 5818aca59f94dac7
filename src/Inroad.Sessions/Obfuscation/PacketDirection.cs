namespace Inroad.Sessions.Obfuscation;

/// <summary>Which way a session packet travels; each direction has its own key.</summary>
internal enum PacketDirection
{
    /// <summary>Initiator → responder: carries a timestamp and is checked against the replay history.</summary>
    InitiatorToResponder,

    /// <summary>Responder → initiator.</summary>
    ResponderToInitiator,
}
