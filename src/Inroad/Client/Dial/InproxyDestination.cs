namespace Inroad.Client.Dial;

/// <summary>Where an in-proxy dial leads: the tunnel server's in-proxy listener, proved by its signed server entry.</summary>
/// <param name="SignedServerEntry">The server entry signed by the network key (the broker checks it and the address).</param>
/// <param name="Address">host:port of the in-proxy listener (an IP literal: the broker refuses host names).</param>
/// <param name="NetworkProtocol">0 TCP (a reliable, ordered data channel), 1 UDP.</param>
internal sealed record InproxyDestination(ReadOnlyMemory<byte> SignedServerEntry, string Address, int NetworkProtocol = 0);
