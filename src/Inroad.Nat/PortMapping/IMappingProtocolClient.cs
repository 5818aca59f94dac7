using System.Net;

namespace Inroad.Nat.PortMapping;

/// <summary>One port-mapping protocol spoken to one gateway. Implementations ignore bad replies and throw only <see cref="NatException"/>.</summary>
internal interface IMappingProtocolClient : IAsyncDisposable
{
    PortMappingProtocol Protocol { get; }

    /// <summary>True when the gateway answers this protocol (within the probe timeout).</summary>
    Task<bool> ProbeAsync(CancellationToken ct);

    /// <summary>Creates or renews the UDP mapping for <paramref name="internalPort"/>; returns the external endpoint and lifetime.</summary>
    Task<(IPEndPoint External, TimeSpan Lifetime)> MapUdpAsync(ushort internalPort, ushort preferredExternalPort, TimeSpan lifetime, CancellationToken ct);

    /// <summary>
    /// Weighs an announcement the gateway sent to port 5350 (already checked to come from it); true when the
    /// mapping must be created again now (the server lost state or the external address changed).
    /// </summary>
    bool HandleAnnouncement(GatewayAnnouncement announcement);

    /// <summary>Deletes the mapping for <paramref name="internalPort"/> (best effort).</summary>
    Task DeleteUdpAsync(ushort internalPort, ushort externalPort, CancellationToken ct);
}
