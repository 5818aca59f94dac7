namespace Inroad.Broker.Destinations;

/// <summary>
/// One in-proxy listener of a tunnel server: protocol name (e.g. <c>INPROXY-WEBRTC-OSSH</c>), network
/// protocol (0 TCP, 1 UDP) and its dedicated port.
/// </summary>
internal sealed record InproxyCapability(string Protocol, int NetworkProtocol, int Port);
