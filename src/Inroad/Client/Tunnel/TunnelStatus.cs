namespace Inroad.Client.Tunnel;

/// <summary>A snapshot of the client's tunnel for status lines.</summary>
/// <param name="State">Current state.</param>
/// <param name="TunnelsEstablished">Tunnels established since start (more than one means redials happened).</param>
/// <param name="LastError">Why the last dial or tunnel failed, if it did.</param>
public sealed record TunnelStatus(TunnelState State, int TunnelsEstablished, string? LastError);
