using BenchmarkDotNet.Attributes;
using Inroad.WebRtc.Dtls;
using Inroad.WebRtc.Transport;

namespace Inroad.Benchmarks.Dtls;

/// <summary>
/// One full DTLS 1.2 handshake (mutual ECDSA P-256, ECDHE x25519, EMS, use_srtp, flight coalescing), client
/// and server in one process over the in-memory link, through the public <see cref="DtlsConnection"/> API.
/// Chromium's profile includes a fresh ML-KEM-768 key generation for its key share.
/// Cold: 50 single handshakes with no warm-up (the first pays JIT). Warm: 50 iterations after warm-up.
/// In process (a separate build takes minutes on the shared machine):
/// cold: <c>--filter '*DtlsHandshake*' --inProcess --strategy ColdStart --warmupCount 0 --iterationCount 50 --launchCount 1</c>;
/// warm: <c>--filter '*DtlsHandshake*' --inProcess --strategy Monitoring --warmupCount 5 --iterationCount 50 --launchCount 1</c>.
/// </summary>
[MemoryDiagnoser]
public class DtlsHandshakeBenchmarks
{
    [Params(DtlsProfileKind.Chromium, DtlsProfileKind.Firefox12)]
    public DtlsProfileKind Profile { get; set; }

    [Params(true, false)]
    public bool NetAesGcm { get; set; }

    [Benchmark(Description = "DTLS handshake")]
    public async Task<int> Handshake()
    {
        var (a, b) = InMemoryDatagramLink.CreatePair();
        var clientOptions = new DtlsOptions
        {
            Certificate = DtlsBenchPeers.ClientCertificate,
            RemoteFingerprint = DtlsBenchPeers.ServerCertificate.Fingerprint,
            Shape = DtlsShapePlan.Fixed(Profile),
            UseNetAesGcm = NetAesGcm,
        };
        var serverOptions = new DtlsOptions
        {
            Certificate = DtlsBenchPeers.ServerCertificate,
            RemoteFingerprint = DtlsBenchPeers.ClientCertificate.Fingerprint,
            UseNetAesGcm = NetAesGcm,
        };
        var accept = DtlsConnection.AcceptAsync(b, serverOptions);
        var client = await DtlsConnection.ConnectAsync(a, clientOptions);
        var server = await accept;
        int suite = client.CipherSuite;
        await client.DisposeAsync();
        await server.DisposeAsync();
        return suite;
    }
}
