using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using Inroad.WebRtc.Dtls;
using Org.BouncyCastle.Crypto.Modes;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.Tls;
using Org.BouncyCastle.Tls.Crypto.Impl.BC;

namespace Inroad.Benchmarks.Dtls;

/// <summary>
/// DTLS record seal + open of one 1200-byte payload: .NET AesGcm against BouncyCastle's AES-GCM, through
/// BouncyCastle's record layer (an established TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 connection over
/// in-process queues), and the bare AEAD for comparison.
/// </summary>
[MemoryDiagnoser]
public class DtlsRecordBenchmarks
{
    private readonly byte[] _payload = RandomNumberGenerator.GetBytes(1200);
    private readonly byte[] _receive = new byte[1500];
    private readonly byte[] _sealed = new byte[1200 + 16];
    private readonly byte[] _opened = new byte[1200];
    private readonly byte[] _nonce = RandomNumberGenerator.GetBytes(12);
    private readonly byte[] _aad = RandomNumberGenerator.GetBytes(13);
    private readonly byte[] _key = RandomNumberGenerator.GetBytes(16);
    private ulong _sequence;
    private DtlsTransport? _client;
    private DtlsTransport? _server;
    private AesGcm? _aesGcm;
    private GcmBlockCipher? _bcGcm;

    [Params(true, false)]
    public bool NetAesGcm { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        (_client, _server) = DtlsBenchPeers.Handshake(NetAesGcm);
        _aesGcm = new AesGcm(_key, 16);
        _bcGcm = new GcmBlockCipher(Org.BouncyCastle.Crypto.AesUtilities.CreateEngine());
    }

    [GlobalCleanup]
    public void Cleanup() => _aesGcm?.Dispose();

    [Benchmark(Description = "DTLS record seal+open, 1200 B")]
    public int RecordSealOpen()
    {
        _client!.Send(_payload, 0, _payload.Length);
        return _server!.Receive(_receive, 0, _receive.Length, 1000);
    }

    [Benchmark(Description = "bare AES-128-GCM seal+open, 1200 B")]
    public int BareAeadSealOpen()
    {
        // A fresh nonce per record, as the record layer uses (BouncyCastle refuses to reuse one for sealing).
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(_nonce.AsSpan(4), ++_sequence);
        if (NetAesGcm)
        {
            _aesGcm!.Encrypt(_nonce, _payload, _sealed.AsSpan(0, 1200), _sealed.AsSpan(1200), _aad);
            _aesGcm.Decrypt(_nonce, _sealed.AsSpan(0, 1200), _sealed.AsSpan(1200), _opened, _aad);
            return _opened[0];
        }

        var parameters = new AeadParameters(new KeyParameter(_key), 128, _nonce, _aad);
        _bcGcm!.Init(true, parameters);
        int n = _bcGcm.ProcessBytes(_payload, 0, _payload.Length, _sealed, 0);
        _bcGcm.DoFinal(_sealed, n);
        _bcGcm.Init(false, parameters);
        n = _bcGcm.ProcessBytes(_sealed, 0, _sealed.Length, _opened, 0);
        return _bcGcm.DoFinal(_opened, n);
    }
}

/// <summary>Runs a Chromium-profile client against our server over in-process queues.</summary>
internal static class DtlsBenchPeers
{
    public static readonly DtlsCertificate ClientCertificate = DtlsCertificate.Generate();
    public static readonly DtlsCertificate ServerCertificate = DtlsCertificate.Generate();

    public static (DtlsTransport Client, DtlsTransport Server) Handshake(bool netAesGcm)
    {
        var (a, b) = QueueDatagramPair.Create();
        var clientOptions = new DtlsOptions { Certificate = ClientCertificate, RemoteFingerprint = ServerCertificate.Fingerprint };
        var serverOptions = new DtlsOptions { Certificate = ServerCertificate, RemoteFingerprint = ClientCertificate.Fingerprint };
        BcTlsCrypto Crypto() => netAesGcm ? new NetAesGcmTlsCrypto() : new BcTlsCrypto(new SecureRandom());
        var plan = DtlsShapePlan.Fixed(DtlsProfileKind.Chromium);
        var random = SeededRandom.Fresh();
        var client = new WebRtcTlsClient(Crypto(), clientOptions, plan.ClientHello, random);
        var server = new WebRtcTlsServer(Crypto(), serverOptions, plan.ServerExtensionOrder, random);
        var accept = Task.Factory.StartNew(() => new DtlsServerProtocol().Accept(server, b), TaskCreationOptions.LongRunning);
        var connected = new ShapedDtlsClientProtocol(client.ExtensionOrder).Connect(client, a);
        return (connected, accept.GetAwaiter().GetResult());
    }
}
