namespace Inroad.Sessions.Records;

/// <summary>Record types (design §2.1). The type byte follows the version byte of every record.</summary>
public enum RecordType : byte
{
    /// <summary>Not a record type; never on the wire.</summary>
    None = 0,

    /// <summary>Obfuscation-layer payload: {1 SessionID, 2 Nonce, 3 Payload, 4 ResetSessionToken}.</summary>
    SessionPacket = 1,

    /// <summary>Noise plaintext: {1 RoundTripID, 2 Payload}.</summary>
    SessionRoundTrip = 2,

    ProxyAnnounceRequest = 3,
    ProxyAnnounceResponse = 4,
    ProxyAnswerRequest = 5,
    ProxyAnswerResponse = 6,
    ClientOfferRequest = 7,
    ClientOfferResponse = 8,
    ClientRelayedPacketRequest = 9,
    ClientRelayedPacketResponse = 10,

    /// <summary>One-way, broker → server.</summary>
    BrokerServerReport = 11,
    ServerProxyQualityRequest = 12,
    ServerProxyQualityResponse = 13,
    ClientDslRequest = 14,
    ClientDslResponse = 15,
}
