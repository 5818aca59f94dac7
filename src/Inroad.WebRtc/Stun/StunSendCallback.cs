using System.Net;

namespace Inroad.WebRtc.Stun;

/// <summary>Sends one datagram to <paramref name="destination"/>; how a <see cref="StunClient"/> reaches the network.</summary>
internal delegate ValueTask StunSendCallback(ReadOnlyMemory<byte> datagram, IPEndPoint destination, CancellationToken cancellationToken);
