namespace Inroad.Broker.Destinations;

/// <summary>Why a destination was accepted or not (every refusal is answered Limited; the reason is only logged).</summary>
internal enum DestinationVerdict
{
    /// <summary>Proxying allowed.</summary>
    Allowed,

    /// <summary>Not signed by the network key, or malformed.</summary>
    BadSignature,

    /// <summary>No tag, or the tag is not currently valid.</summary>
    InvalidTag,

    /// <summary>The entry lacks the server's session key or obfuscation secret.</summary>
    MissingKeys,

    /// <summary>The destination is not the entry's IP (or is a host name).</summary>
    WrongAddress,

    /// <summary>No in-proxy listener for that network protocol and port.</summary>
    NoCapability,
}
