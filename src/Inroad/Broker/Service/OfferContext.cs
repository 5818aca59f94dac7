using System.Net;
using Inroad.Broker.Matching;
using Inroad.Protocol.Messages;

namespace Inroad.Broker.Service;

/// <summary>A client offer's data while it waits: what the proxy receives, and where the proxy's answer goes.</summary>
internal sealed class OfferContext(ClientOfferRequest request, string filteredSdp, IPAddress clientIp, GeoKey clientGeo)
{
    private ProxyAnswerRequest? _answerRequest;

    public ClientOfferRequest Request { get; } = request;

    public string FilteredSdp { get; } = filteredSdp;

    public IPAddress ClientIp { get; } = clientIp;

    public GeoKey ClientGeo { get; } = clientGeo;

    /// <summary>Completes with the proxy's (filtered) answer, or null when the proxy failed to answer.</summary>
    public TaskCompletionSource<string?> Answer { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The client's ICE candidate GeoIP when it differed from the client's address (personal mode keeps such candidates).</summary>
    public GeoKey? ClientIceMismatch { get; init; }

    /// <summary>The proxy's answer request (DTLS fingerprint); written before <see cref="Answer"/> completes, read after.</summary>
    public ProxyAnswerRequest? AnswerRequest
    {
        get => Volatile.Read(ref _answerRequest);
        set => Volatile.Write(ref _answerRequest, value);
    }

    /// <summary>The proxy's ICE candidate GeoIP when it differed from the proxy's address; written with <see cref="AnswerRequest"/>.</summary>
    public GeoKey? ProxyIceMismatch { get; set; }
}
