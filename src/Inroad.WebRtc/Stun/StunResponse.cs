using System.Net;

namespace Inroad.WebRtc.Stun;

/// <summary>The answer to one STUN request: the message, where it came from, and how long it took.</summary>
internal sealed class StunResponse
{
    public StunResponse(StunMessage message, IPEndPoint from, TimeSpan roundTripTime, int sends)
    {
        Message = message;
        From = from;
        RoundTripTime = roundTripTime;
        Sends = sends;
    }

    public StunMessage Message { get; }

    /// <summary>Source address of the response (differs from the server's with CHANGE-REQUEST, RFC 5780).</summary>
    public IPEndPoint From { get; }

    /// <summary>Time from the last send before the answer to the answer (RFC 8489 §6.2.1: Karn's rule is the caller's call).</summary>
    public TimeSpan RoundTripTime { get; }

    /// <summary>How many times the request went out before the answer came.</summary>
    public int Sends { get; }

    public bool IsSuccess => Message.Class == StunClass.SuccessResponse;

    /// <summary>XOR-MAPPED-ADDRESS or, failing that, MAPPED-ADDRESS.</summary>
    public IPEndPoint? MappedAddress => Message.TryGetMappedAddress(out IPEndPoint? e) ? e : null;

    /// <summary>OTHER-ADDRESS (RFC 5780 §7.4).</summary>
    public IPEndPoint? OtherAddress => Message.TryGetAddress(StunAttributeType.OtherAddress, out IPEndPoint? e) ? e : null;

    /// <summary>RESPONSE-ORIGIN (RFC 5780 §7.3).</summary>
    public IPEndPoint? ResponseOrigin => Message.TryGetAddress(StunAttributeType.ResponseOrigin, out IPEndPoint? e) ? e : null;

    /// <summary>ERROR-CODE of an error response, or 0.</summary>
    public int ErrorCode => Message.TryGetErrorCode(out int code, out _) ? code : 0;
}
