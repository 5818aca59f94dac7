namespace Inroad.Nat;

/// <summary>Why a NAT-layer operation failed.</summary>
public enum NatError
{
    /// <summary>No answer within the time allowed.</summary>
    Timeout,

    /// <summary>No gateway offers the asked-for port-mapping protocol.</summary>
    NotAvailable,

    /// <summary>The gateway answered with an error (result code or SOAP fault).</summary>
    Refused,

    /// <summary>The STUN server cannot run RFC 5780 tests (no OTHER-ADDRESS).</summary>
    NotSupported,

    /// <summary>A local socket or HTTP failure.</summary>
    Network,
}
