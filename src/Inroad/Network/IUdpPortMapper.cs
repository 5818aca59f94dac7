using Inroad.Nat.PortMapping;

namespace Inroad.Network;

/// <summary>What <see cref="HostNat"/> needs of a port mapper (the real one is <see cref="PortMapper"/>; tests use fakes).</summary>
internal interface IUdpPortMapper
{
    /// <summary>The protocols the gateway answers, in order of preference; empty when none. Never throws on network trouble.</summary>
    Task<IReadOnlyList<PortMappingProtocol>> ProbeAsync(CancellationToken cancellationToken);

    /// <summary>Maps UDP <paramref name="internalPort"/> with <paramref name="protocol"/>; throws when the gateway refuses or is silent.</summary>
    Task<IUdpPortLease> MapUdpAsync(int internalPort, PortMappingProtocol protocol, CancellationToken cancellationToken);
}
