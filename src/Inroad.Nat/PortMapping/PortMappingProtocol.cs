namespace Inroad.Nat.PortMapping;

/// <summary>A port-mapping protocol. Values match the broker API's PortMappingType (design §2.2).</summary>
public enum PortMappingProtocol
{
    /// <summary>No port mapping.</summary>
    None = 0,

    /// <summary>UPnP Internet Gateway Device (WANIPConnection / WANPPPConnection).</summary>
    UpnpIgd = 1,

    /// <summary>NAT-PMP (RFC 6886).</summary>
    NatPmp = 2,

    /// <summary>PCP (RFC 6887).</summary>
    Pcp = 3,
}
