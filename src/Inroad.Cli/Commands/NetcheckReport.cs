using System.Net;
using Inroad.Nat.Discovery;
using Inroad.Nat.PortMapping;

namespace Inroad.Cli.Commands;

/// <summary>Everything <c>inroad netcheck</c> found.</summary>
internal sealed record NetcheckReport
{
    public required IPEndPoint StunServer { get; init; }

    public required NatDiscoveryResult Discovery { get; init; }

    public PortMappingProbeResult? PortMapping { get; init; }

    public PortMappingProtocol MappedWith { get; init; }

    public IPEndPoint? MappedExternal { get; init; }

    public string? PortMappingError { get; init; }

    public TimeSpan Elapsed { get; init; }

    public NatTraversal EffectiveTraversal =>
        NatTypeRules.EffectiveTraversal(Discovery.Type, MappedExternal is not null, NetworkType.Unknown);
}
