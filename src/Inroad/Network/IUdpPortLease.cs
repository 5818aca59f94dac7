using System.Net;
using Inroad.Nat.PortMapping;

namespace Inroad.Network;

/// <summary>A live UDP mapping (renewed by its owner); disposing deletes it.</summary>
internal interface IUdpPortLease : IAsyncDisposable
{
    /// <summary>The public endpoint that reaches the mapped port.</summary>
    IPEndPoint ExternalEndPoint { get; }

    /// <summary>The protocol that made the mapping.</summary>
    PortMappingProtocol Protocol { get; }
}
