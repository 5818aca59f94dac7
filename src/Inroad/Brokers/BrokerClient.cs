using Inroad.Broker.Http;
using Inroad.Sessions;
using Inroad.Sessions.Keys;
using Inroad.Sessions.Records;

namespace Inroad.Brokers;

/// <summary>
/// A proxy's or client's way to the broker: API records over one Noise session per broker (shared by concurrent
/// long polls), carried by HTTP POSTs that multiplex on one HTTP/2 connection. Holds a current broker;
/// <see cref="Rotate"/> moves to the next (clients rotate on NoMatch, everyone on a failed transport). Thread-safe.
/// </summary>
internal sealed class BrokerClient : IDisposable
{
    private readonly IReadOnlyList<BrokerSpec> _brokers;
    private readonly HttpBrokerRoundTripper?[] _transports;
    private readonly InitiatorSessions _sessions;
    private readonly Lock _lock = new();
    private int _current;

    /// <summary>Creates the client; validates <paramref name="options"/>.</summary>
    public BrokerClient(BrokerClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _brokers = options.Brokers;
        _transports = new HttpBrokerRoundTripper?[_brokers.Count];
        _sessions = new InitiatorSessions(new InitiatorSessionsOptions
        {
            PrivateKey = options.PrivateKey,
            TimeProvider = options.TimeProvider,
            LoggerFactory = options.LoggerFactory,
        });
    }

    /// <summary>Our ID as brokers see it (a proxy's ID).</summary>
    public PeerId Id => _sessions.Id;

    /// <summary>The broker requests go to now.</summary>
    public BrokerSpec Current
    {
        get
        {
            lock (_lock)
            {
                return _brokers[_current];
            }
        }
    }

    /// <summary>Moves to the next broker in the list (wrapping around).</summary>
    public void Rotate()
    {
        lock (_lock)
        {
            _current = (_current + 1) % _brokers.Count;
        }
    }

    /// <summary>
    /// Sends <paramref name="request"/> to the current broker and decodes its response.
    /// </summary>
    /// <param name="request">The API request record.</param>
    /// <param name="delay">Wait before the request's packet is sent (staggers announcements).</param>
    /// <param name="timeout">Network timeout of the request packet (see <see cref="BrokerRequestTimeouts"/>).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="SessionException">The session or transport failed.</exception>
    /// <exception cref="InvalidDataException">The broker's response did not decode as <typeparamref name="TResponse"/>.</exception>
    public async Task<TResponse> RequestAsync<TRequest, TResponse>(TRequest request, TimeSpan delay, TimeSpan timeout, CancellationToken cancellationToken)
        where TRequest : ICborRecord<TRequest>
        where TResponse : ICborRecord<TResponse>
    {
        (BrokerSpec broker, HttpBrokerRoundTripper transport) = Select(null);
        return await SendAsync<TRequest, TResponse>(broker, transport, request, delay, timeout, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Like <see cref="RequestAsync{TRequest, TResponse}(TRequest, TimeSpan, TimeSpan, CancellationToken)"/> but to
    /// <paramref name="broker"/> (one of this client's brokers) whichever is current: a follow-up request such as
    /// ClientRelayedPacket must reach the broker that made the match.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="broker"/> is not one of this client's brokers.</exception>
    public async Task<TResponse> RequestAsync<TRequest, TResponse>(BrokerSpec broker, TRequest request, TimeSpan delay, TimeSpan timeout, CancellationToken cancellationToken)
        where TRequest : ICborRecord<TRequest>
        where TResponse : ICborRecord<TResponse>
    {
        ArgumentNullException.ThrowIfNull(broker);
        (BrokerSpec spec, HttpBrokerRoundTripper transport) = Select(broker);
        return await SendAsync<TRequest, TResponse>(spec, transport, request, delay, timeout, cancellationToken).ConfigureAwait(false);
    }

    private async Task<TResponse> SendAsync<TRequest, TResponse>(BrokerSpec broker, HttpBrokerRoundTripper transport, TRequest request, TimeSpan delay, TimeSpan timeout, CancellationToken cancellationToken)
        where TRequest : ICborRecord<TRequest>
        where TResponse : ICborRecord<TResponse>
    {
        byte[] response = await _sessions.RoundTripAsync(transport, broker.Identity, CborRecords.Marshal(request), delay, timeout, cancellationToken).ConfigureAwait(false);
        return CborRecords.TryUnmarshal(response, out TResponse? value)
            ? value!
            : throw new InvalidDataException($"broker response is not a {typeof(TResponse).Name}");
    }

    public void Dispose()
    {
        lock (_lock)
        {
            foreach (HttpBrokerRoundTripper? t in _transports)
            {
                t?.Dispose();
            }
        }

        _sessions.Dispose();
    }

    private (BrokerSpec Broker, HttpBrokerRoundTripper Transport) Select(BrokerSpec? wanted)
    {
        lock (_lock)
        {
            int index = _current;
            if (wanted is not null)
            {
                index = -1;
                for (int i = 0; i < _brokers.Count && index < 0; i++)
                {
                    index = ReferenceEquals(_brokers[i], wanted) || _brokers[i] == wanted ? i : -1;
                }

                if (index < 0)
                {
                    throw new ArgumentException("Not one of this client's brokers.", nameof(wanted));
                }
            }

            BrokerSpec broker = _brokers[index];
            HttpBrokerRoundTripper transport = _transports[index] ??= new HttpBrokerRoundTripper(
                broker.Endpoint,
                broker.FrontingHost is { } host ? r => r.Headers.Host = host : null);
            return (broker, transport);
        }
    }
}
