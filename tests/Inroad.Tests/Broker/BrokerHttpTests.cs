using System.Net;
using Inroad.Broker.Http;
using Inroad.Broker.Service;
using Inroad.Protocol.Messages;
using Inroad.Sessions;
using Inroad.Sessions.Keys;
using Inroad.Sessions.Obfuscation;
using Inroad.Sessions.Records;

namespace Inroad.Tests.Broker;

/// <summary>The broker over real HTTP/2 (h2c on loopback) and real Noise sessions.</summary>
public sealed class BrokerHttpTests
{
    private sealed class Broker : IAsyncDisposable
    {
        public required BrokerHttpHost Host { get; init; }

        public required ResponderSessions Sessions { get; init; }

        public required ResponderIdentity Identity { get; init; }

        public static async Task<Broker> StartAsync(BrokerService service, CancellationToken ct)
        {
            SessionPrivateKey key = SessionPrivateKey.Generate();
            ObfuscationSecret secret = ObfuscationSecret.Generate();
            var sessions = new ResponderSessions(new ResponderSessionsOptions { PrivateKey = key, ObfuscationSecret = secret });
            BrokerHttpHost host = await BrokerHttpHost.StartAsync(new BrokerHttpHostOptions(), service, sessions, ct);
            return new Broker { Host = host, Sessions = sessions, Identity = new ResponderIdentity(key.PublicKey, secret) };
        }

        public async ValueTask DisposeAsync()
        {
            await Host.DisposeAsync();
            Sessions.Dispose();
        }
    }

    private sealed class Peer(Broker broker, HttpBrokerRoundTripper transport) : IDisposable
    {
        private readonly InitiatorSessions _sessions = new(new InitiatorSessionsOptions { PrivateKey = SessionPrivateKey.Generate() });

        public async Task<TResponse> CallAsync<TRequest, TResponse>(TRequest request, TimeSpan timeout, CancellationToken ct)
            where TRequest : ICborRecord<TRequest>
            where TResponse : ICborRecord<TResponse>
        {
            byte[] response = await _sessions.RoundTripAsync(transport, broker.Identity, CborRecords.Marshal(request), TimeSpan.Zero, timeout, ct);
            Assert.True(CborRecords.TryUnmarshal(response, out TResponse? value));
            return value!;
        }

        public void Dispose() => _sessions.Dispose();
    }

    [Fact]
    public async Task Every_failure_is_the_same_bodiless_404()
    {
        CancellationToken ct = BrokerServiceTests.Timeout();
        await using Broker broker = await Broker.StartAsync(BrokerServiceTests.NewService(), ct);
        using var client = new HttpClient { DefaultRequestVersion = HttpVersion.Version20, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact };
        var responses = new List<HttpResponseMessage>
        {
            await client.PostAsync(broker.Host.Address, new ByteArrayContent(new byte[100]), ct),                  // garbage packet
            await client.PostAsync(new Uri(broker.Host.Address, "/other"), new ByteArrayContent(new byte[100]), ct), // wrong path
            await client.GetAsync(broker.Host.Address, ct),                                                       // wrong method
            await client.PostAsync(broker.Host.Address, new ByteArrayContent(new byte[70_000]), ct),              // too large
            await client.PostAsync(broker.Host.Address, new ByteArrayContent([]), ct),                            // empty
        };
        foreach (HttpResponseMessage r in responses)
        {
            Assert.Equal(HttpStatusCode.NotFound, r.StatusCode);
            Assert.Empty(await r.Content.ReadAsByteArrayAsync(ct));
            Assert.Equal(
                string.Join(";", responses[0].Headers.Select(h => h.Key).Order()),
                string.Join(";", r.Headers.Select(h => h.Key).Order()));
            Assert.False(r.Headers.Contains("Server"));
        }
    }

    [Theory]
    [InlineData(true, "203.0.113.9")]
    [InlineData(false, "127.0.0.1")]
    public async Task Forwarded_client_ip_is_believed_only_with_the_cdn_secret(bool withSecret, string expected)
    {
        CancellationToken ct = BrokerServiceTests.Timeout();
        SessionPrivateKey key = SessionPrivateKey.Generate();
        ObfuscationSecret secret = ObfuscationSecret.Generate();
        using var sessions = new ResponderSessions(new ResponderSessionsOptions { PrivateKey = key, ObfuscationSecret = secret });
        BrokerService service = BrokerServiceTests.NewService(TimeSpan.FromSeconds(2));
        await using BrokerHttpHost host = await BrokerHttpHost.StartAsync(
            new BrokerHttpHostOptions { ForwardedForHeader = "X-Forwarded-For", SecretHeaderName = "X-Cdn-Secret", SecretHeaderValue = "s3cret" },
            service,
            sessions,
            ct);
        using var transport = new HttpBrokerRoundTripper(host.Address, request =>
        {
            request.Headers.Add("X-Forwarded-For", "198.51.100.1, 203.0.113.9");
            if (withSecret)
            {
                request.Headers.Add("X-Cdn-Secret", "s3cret");
            }
        });
        using var initiator = new InitiatorSessions(new InitiatorSessionsOptions { PrivateKey = SessionPrivateKey.Generate() });
        byte[] response = await initiator.RoundTripAsync(transport, new ResponderIdentity(key.PublicKey, secret), CborRecords.Marshal(BrokerServiceTests.Offer()), TimeSpan.Zero, TimeSpan.FromSeconds(10), ct);
        Assert.True(CborRecords.TryUnmarshal(response, out ClientOfferResponse? r));
        Assert.True(r!.NoMatch);
        Assert.Equal(expected, service.LastPeerIp?.ToString());
    }

    [Fact]
    public async Task Hundred_proxies_and_two_hundred_clients_over_http2_and_sessions()
    {
        CancellationToken ct = BrokerServiceTests.Timeout(100);
        BrokerService service = BrokerServiceTests.NewService(TimeSpan.FromSeconds(25), onePeerIp: true); // every peer is 127.0.0.1
        await using Broker broker = await Broker.StartAsync(service, ct);
        using var transport = new HttpBrokerRoundTripper(broker.Host.Address);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        int answered = 0;

        Task[] proxies = Enumerable.Range(0, 100).Select(i => Task.Run(async () =>
        {
            using var proxy = new Peer(broker, transport);
            while (!stop.IsCancellationRequested)
            {
                ProxyAnnounceResponse r;
                try
                {
                    r = await proxy.CallAsync<ProxyAnnounceRequest, ProxyAnnounceResponse>(new ProxyAnnounceRequest { Metrics = BrokerServiceTests.Metrics() }, TimeSpan.FromSeconds(10), stop.Token);
                }
                catch (Exception e) when (stop.IsCancellationRequested && e is OperationCanceledException or SessionException)
                {
                    return;
                }

                Assert.False(r.Limited);
                if (r.IsMatch)
                {
                    string sdp = $"v=0\r\na=x-for:{r.ClientOfferSdp!.Split('\n')[1].Trim()}\r\na=candidate:1 1 udp 1 127.0.0.1 6000 typ host\r\n";
                    ProxyAnswerResponse ack = await proxy.CallAsync<ProxyAnswerRequest, ProxyAnswerResponse>(new ProxyAnswerRequest { ConnectionId = r.ConnectionId, ProxyAnswerSdp = sdp }, TimeSpan.FromSeconds(20), ct);
                    if (!ack.NoAwaitingClient)
                    {
                        Interlocked.Increment(ref answered);
                    }
                }
            }
        }, ct)).ToArray();

        ClientOfferResponse[] results = await Task.WhenAll(Enumerable.Range(0, 200).Select(i => Task.Run(async () =>
        {
            using var client = new Peer(broker, transport);
            ClientOfferRequest request = BrokerServiceTests.Offer() with { ClientOfferSdp = $"v=0\r\na=x-client:{i}\r\na=candidate:1 1 udp 1 127.0.0.1 5000 typ host\r\n" };
            ClientOfferResponse r = await client.CallAsync<ClientOfferRequest, ClientOfferResponse>(request, TimeSpan.FromSeconds(35), ct);
            if (!r.NoMatch && !r.Limited)
            {
                Assert.Contains($"a=x-for:a=x-client:{i}", r.ProxyAnswerSdp, StringComparison.Ordinal);
            }

            return r;
        }, ct)));
        await stop.CancelAsync();
        await Task.WhenAll(proxies);

        // 100 proxies re-announce at once after each answer, so all 200 clients are served inside their 25 s (generous: the machine may be loaded).
        Assert.All(results, r => Assert.False(r.Limited || r.NoMatch));
        Assert.Equal(200, results.Select(r => r.ConnectionId).Distinct().Count());
        Assert.Equal(200, answered);
    }
}
