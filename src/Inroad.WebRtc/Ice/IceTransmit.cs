using System.Net;

namespace Inroad.WebRtc.Ice;

/// <summary>A datagram the sans-IO agent wants sent.</summary>
internal readonly record struct IceTransmit(byte[] Datagram, IPEndPoint Destination);
