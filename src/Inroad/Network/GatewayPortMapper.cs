using System.Net;
using Inroad.Nat.PortMapping;

namespace Inroad.Network;

/// <summary><see cref="IUdpPortMapper"/> over the real <see cref="PortMapper"/> (PCP, NAT-PMP, UPnP-IGD).</summary>
internal sealed class GatewayPortMapper(PortMapper mapper) : IUdpPortMapper
{
    public async Task<IReadOnlyList<PortMappingProtocol>> ProbeAsync(CancellationToken cancellationToken) =>
        (await mapper.ProbeAsync(cancellationToken).ConfigureAwait(false)).Available;

    public async Task<IUdpPortLease> MapUdpAsync(int internalPort, PortMappingProtocol protocol, CancellationToken cancellationToken) =>
        new Lease(await mapper.MapUdpAsync(internalPort, protocol, cancellationToken).ConfigureAwait(false));

    private sealed class Lease(PortMappingLease lease) : IUdpPortLease
    {
        public IPEndPoint ExternalEndPoint => lease.ExternalEndPoint;

        public PortMappingProtocol Protocol => lease.Protocol;

        public ValueTask DisposeAsync() => lease.DisposeAsync();
    }
}
