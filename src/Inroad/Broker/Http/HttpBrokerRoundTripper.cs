using System.Net;
using System.Net.Http.Headers;
using Inroad.Sessions;

namespace Inroad.Broker.Http;

/// <summary>
/// The proxies' and clients' transport to a broker: one HTTP POST per session packet over a shared
/// <see cref="SocketsHttpHandler"/>, so concurrent long polls multiplex on one HTTP/2 connection. The TLS
/// certificate is not checked: the Noise session authenticates the broker. A non-200 answer throws.
/// </summary>
internal sealed class HttpBrokerRoundTripper : IRoundTripper, IDisposable
{
    private readonly HttpClient _client;
    private readonly Uri _endpoint;
    private readonly bool _cleartextHttp2;
    private readonly Action<HttpRequestMessage>? _configureRequest;

    /// <summary>
    /// Creates a transport to <paramref name="endpoint"/> (http:// means HTTP/2 with prior knowledge);
    /// <paramref name="configureRequest"/> may add headers (a fronting Host header, or a CDN's in tests).
    /// </summary>
    public HttpBrokerRoundTripper(Uri endpoint, Action<HttpRequestMessage>? configureRequest = null)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        _endpoint = endpoint;
        _configureRequest = configureRequest;
        _cleartextHttp2 = endpoint.Scheme == Uri.UriSchemeHttp;
        var handler = new SocketsHttpHandler
        {
            EnableMultipleHttp2Connections = true,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
            SslOptions = { RemoteCertificateValidationCallback = (_, _, _, _) => true },
        };
        _client = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
    }

    public async ValueTask<ReadOnlyMemory<byte>> RoundTripAsync(ReadOnlyMemory<byte> packet, TimeSpan delay, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (delay > TimeSpan.Zero)
        {
            await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
        }

        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        using var request = new HttpRequestMessage(HttpMethod.Post, _endpoint)
        {
            Version = HttpVersion.Version20,
            VersionPolicy = _cleartextHttp2 ? HttpVersionPolicy.RequestVersionExact : HttpVersionPolicy.RequestVersionOrLower,
            Content = new ReadOnlyMemoryContent(packet),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        _configureRequest?.Invoke(request);
        using HttpResponseMessage response = await _client.SendAsync(request, HttpCompletionOption.ResponseContentRead, cts.Token).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new HttpRequestException($"broker answered {(int)response.StatusCode}", null, response.StatusCode);
        }

        return await response.Content.ReadAsByteArrayAsync(cts.Token).ConfigureAwait(false);
    }

    public void Dispose() => _client.Dispose();
}
