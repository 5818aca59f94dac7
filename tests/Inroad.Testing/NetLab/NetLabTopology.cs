namespace Inroad.Testing.NetLab;

/// <summary>
/// What <see cref="NetLab.CreateAsync"/> builds. The shape is fixed (see <c>scripts/netlab.sh</c>): a public
/// segment with hosts <c>stun</c>, <c>broker</c>, <c>server</c>; router <c>natA</c> with <c>client</c> behind it and
/// router <c>natB</c> with <c>proxy</c> behind it. What a test picks is each router's behaviour and the services.
/// </summary>
public sealed record NetLabTopology
{
    /// <summary>Behaviour of natA (client side). Defaults to port-restricted, the commonest home NAT.</summary>
    public NatBehavior NatA { get; init; } = NatBehavior.PortRestricted;

    /// <summary>Behaviour of natB (proxy side). Defaults to port-restricted.</summary>
    public NatBehavior NatB { get; init; } = NatBehavior.PortRestricted;

    /// <summary>Whether coturn runs on <c>stun</c> (RFC 5780 with two addresses, TURN user netlab/netlab). Defaults to true.</summary>
    public bool Stun { get; init; } = true;

    /// <summary>Routers that run miniupnpd (UPnP-IGD, NAT-PMP, PCP); needs <see cref="Stun"/>. Defaults to none.</summary>
    public IReadOnlyList<string> UpnpRouters { get; init; } = [];
}
