using BenchmarkDotNet.Attributes;
using Inroad.Sessions;
using Inroad.Sessions.Keys;
using Inroad.Sessions.Obfuscation;
using Org.BouncyCastle.Math.EC.Rfc7748;

namespace Inroad.Benchmarks.Sessions;

/// <summary>
/// Secure-session costs, both sides in one process over an in-memory round tripper:
/// a full XK handshake (+ first request) against the X25519 work it cannot avoid, and an established round trip.
/// </summary>
[MemoryDiagnoser]
public class SessionBenchmarks
{
    private readonly byte[] _request = new byte[100];
    private readonly byte[] _scalar = new byte[32];
    private readonly byte[] _point = new byte[32];
    private readonly byte[] _out = new byte[32];
    private SessionPrivateKey _responderKey = null!;
    private ResponderSessions _responder = null!;
    private InMemoryRoundTripper _roundTripper = null!;
    private ResponderIdentity _identity = null!;
    private InitiatorSessions _initiator = null!;

    [GlobalSetup]
    public void Setup()
    {
        _responderKey = SessionPrivateKey.Generate();
        ObfuscationSecret secret = ObfuscationSecret.Generate();
        _responder = new ResponderSessions(new ResponderSessionsOptions { PrivateKey = _responderKey, ObfuscationSecret = secret });
        _roundTripper = new InMemoryRoundTripper(_responder, static (_, request, _) => ValueTask.FromResult<byte[]?>(request.ToArray()));
        _identity = new ResponderIdentity(_responderKey.PublicKey, secret);
        _initiator = new InitiatorSessions(new InitiatorSessionsOptions { PrivateKey = SessionPrivateKey.Generate() });
        Random.Shared.NextBytes(_scalar);
        X25519.ScalarMultBase(_scalar, _point);
        RoundTrip().GetAwaiter().GetResult();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _initiator.Dispose();
        _responder.Dispose();
    }

    /// <summary>Messages 1-2 and 3 + first request/response, both sides, obfuscation included.</summary>
    [Benchmark]
    public Task<byte[]> Handshake()
    {
        _initiator.RemoveSession(_identity.PublicKey);
        return _initiator.RoundTripAsync(_roundTripper, _identity, _request, TimeSpan.Zero, TimeSpan.FromSeconds(10), CancellationToken.None);
    }

    /// <summary>The X25519 work of one XK handshake, both sides: 2 key generations and 6 DH.</summary>
    [Benchmark]
    public void X25519OfOneHandshake()
    {
        X25519.ScalarMultBase(_scalar, _out);
        X25519.ScalarMultBase(_scalar, _out);
        for (int i = 0; i < 6; i++)
        {
            X25519.ScalarMult(_scalar, _point, _out);
        }
    }

    /// <summary>One request and response (100 bytes) on the established session.</summary>
    [Benchmark]
    public Task<byte[]> RoundTrip() =>
        _initiator.RoundTripAsync(_roundTripper, _identity, _request, TimeSpan.Zero, TimeSpan.FromSeconds(10), CancellationToken.None);
}
