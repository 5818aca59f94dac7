namespace Inroad.Broker.Matching;

/// <summary>Which family a compartment ID belongs to; the two families never share a queue.</summary>
internal enum CompartmentKind : byte
{
    /// <summary>Broker-managed IDs, assigned to proxies by consistent hashing or sponsor.</summary>
    Common = 0,

    /// <summary>A proxy operator's own 32-byte random ID, shared out of band.</summary>
    Personal = 1,
}
