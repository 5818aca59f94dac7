using System.Net;
using Inroad.Broker.Matching;
using Inroad.Protocol.Messages;

namespace Inroad.Broker.Service;

/// <summary>A client offer's data while it waits: what the proxy receives, and where the proxy's answer goes.</summary>
internal sealed class OfferContext(ClientOfferRequest request, string filteredSdp, IPAddress clientIp, GeoKey clientGeo)
{
    public ClientOfferRequest Request { get; } = request;

    public string FilteredSdp { get; } = filteredSdp;

    public IPAddress ClientIp { get; } = clientIp;

    public GeoKey ClientGeo { get; } = clientGeo;

    /// <summary>Completes with the proxy's (filtered) answer, or null when the proxy failed to answer.</summary>
    public TaskCompletionSource<string?> Answer { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}
