namespace Inroad.Proxy;

/// <summary>Which kind of client a slot or an announcement is for (design §4.2 compartments).</summary>
internal enum ProxyClientKind
{
    /// <summary>Any client of the network, matched through a common compartment.</summary>
    Common,

    /// <summary>Only clients holding the operator's personal compartment ID (pairing string).</summary>
    Personal,
}
