using Inroad.Sessions.Keys;
using Inroad.Sessions.Obfuscation;
using Microsoft.Extensions.Time.Testing;

namespace Inroad.Sessions.Tests;

/// <summary>A responder with small replay filters and an echo handler, plus the identity initiators need.</summary>
internal sealed class SessionFixture : IDisposable
{
    public SessionFixture(FakeTimeProvider? time = null, Action<ResponderSessionsOptions>? configure = null, SessionPrivateKey? key = null, ObfuscationSecret? secret = null)
    {
        Time = time ?? new FakeTimeProvider(new DateTimeOffset(2026, 11, 26, 12, 0, 0, TimeSpan.Zero));
        ResponderKey = key ?? SessionPrivateKey.Generate();
        Secret = secret ?? ObfuscationSecret.Generate();
        Options = new ResponderSessionsOptions
        {
            PrivateKey = ResponderKey,
            ObfuscationSecret = Secret,
            ReplayHistoryCapacity = 100_000,
            TimeProvider = Time,
        };
        configure?.Invoke(Options);
        Responder = new ResponderSessions(Options);
        Identity = new ResponderIdentity(ResponderKey.PublicKey, Secret);
        RoundTripper = new InMemoryRoundTripper(Responder, Handler);
    }

    public FakeTimeProvider Time { get; }

    public SessionPrivateKey ResponderKey { get; }

    public ObfuscationSecret Secret { get; }

    public ResponderSessionsOptions Options { get; }

    public ResponderSessions Responder { get; private set; }

    public ResponderIdentity Identity { get; }

    public InMemoryRoundTripper RoundTripper { get; private set; }

    public int HandlerCalls;

    /// <summary>Last initiator the handler saw.</summary>
    public PeerId LastInitiator { get; private set; }

    /// <summary>Echoes "re:" + request; a request starting with 'N' is treated as one-way.</summary>
    public ValueTask<byte[]?> Handler(PeerId initiator, ReadOnlyMemory<byte> request, CancellationToken ct)
    {
        Interlocked.Increment(ref HandlerCalls);
        LastInitiator = initiator;
        if (!request.IsEmpty && request.Span[0] == (byte)'N')
        {
            return ValueTask.FromResult<byte[]?>(null);
        }

        return ValueTask.FromResult<byte[]?>([.. "re:"u8, .. request.Span]);
    }

    /// <summary>Simulates a responder restart: same key and secret, no sessions.</summary>
    public void Restart()
    {
        Responder.Dispose();
        Responder = new ResponderSessions(Options);
        RoundTripper = new InMemoryRoundTripper(Responder, Handler);
    }

    public InitiatorSessions NewInitiator(SessionPrivateKey? key = null, bool waitToShare = true) =>
        new(new InitiatorSessionsOptions { PrivateKey = key, TimeProvider = Time, WaitToShareSession = waitToShare });

    public void Dispose() => Responder.Dispose();
}
