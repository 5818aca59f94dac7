using System.Security.Cryptography;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.Tls;
using Org.BouncyCastle.Tls.Crypto;
using Org.BouncyCastle.Tls.Crypto.Impl.BC;

namespace Inroad.WebRtc.Dtls;

/// <summary>
/// The BouncyCastle client peer: offers exactly the extensions of a <see cref="ClientHelloShape"/> (BouncyCastle
/// adds only extended_master_secret, which the shape already lists), authenticates the server by SDP
/// fingerprint, and refuses a DTLS 1.2 answer carrying the downgrade sentinel when it offered 1.3, as a browser would.
/// </summary>
internal sealed class WebRtcTlsClient : DefaultTlsClient
{
    private readonly BcTlsCrypto _crypto;
    private readonly DtlsOptions _options;
    private readonly ClientHelloShape _shape;
    private readonly int _resendMillis;

    public WebRtcTlsClient(BcTlsCrypto crypto, DtlsOptions options, ClientHelloShape shape, Random random)
        : base(crypto)
    {
        _crypto = crypto;
        _options = options;
        _shape = shape;
        _resendMillis = WebRtcTlsServer.JitteredResend(options, random);
        ExtensionOrder = shape.PermuteExtensionsPerConnection
            ? [.. shape.Extensions.Select(e => e.Type).OrderBy(_ => random.Next())]
            : [.. shape.Extensions.Select(e => e.Type)];
    }

    /// <summary>Order of the extensions on the wire for this connection.</summary>
    public IReadOnlyList<int> ExtensionOrder { get; }

    public int SelectedSrtpProfile { get; private set; }

    public bool RejectedFingerprint { get; private set; }

    public bool SawDowngradeSentinel { get; private set; }

    /// <summary>The cipher suite BouncyCastle negotiated.</summary>
    public int SelectedCipherSuite() => m_context.SecurityParameters.CipherSuite;

    /// <summary>The negotiated protocol version on the wire (0xfefd for DTLS 1.2).</summary>
    public int NegotiatedVersion() => m_context.ServerVersion.FullVersion;

    public override int GetHandshakeResendTimeMillis() => _resendMillis;

    public override int GetHandshakeTimeoutMillis() => (int)_options.HandshakeTimeout.TotalMilliseconds;

    public override bool RequiresExtendedMasterSecret() => true;

    public override IDictionary<int, byte[]> GetClientExtensions()
    {
        var extensions = new Dictionary<int, byte[]>();
        foreach (var e in _shape.Extensions)
        {
            extensions[e.Type] = e.Type == ExtensionTypes.KeyShare ? KeyShare(e.Data) : e.Data;
        }

        return extensions;
    }

    public override void ProcessServerExtensions(IDictionary<int, byte[]> serverExtensions)
    {
        // RFC 8446 §4.1.3: a client that offered 1.3 must abort on a 1.2 ServerHello carrying "DOWNGRD\x01".
        byte[] serverRandom = m_context.SecurityParameters.ServerRandom;
        if (_shape.OffersDtls13 && serverRandom.AsSpan(24).SequenceEqual("DOWNGRD\u0001"u8))
        {
            SawDowngradeSentinel = true;
            throw new TlsFatalAlert(AlertDescription.illegal_parameter);
        }

        base.ProcessServerExtensions(serverExtensions);
        if (serverExtensions is not null && serverExtensions.TryGetValue(ExtensionTypes.UseSrtp, out byte[]? srtp))
        {
            // RFC 5764 §4.1.1: exactly one profile, one we offered.
            if (srtp.Length < 5 || srtp[0] != 0 || srtp[1] != 2 || !_shape.SrtpProfiles.Contains(srtp[2] << 8 | srtp[3]))
            {
                throw new TlsFatalAlert(AlertDescription.illegal_parameter);
            }

            SelectedSrtpProfile = srtp[2] << 8 | srtp[3];
        }
    }

    public override TlsAuthentication GetAuthentication() => new Authentication(this);

    protected override ProtocolVersion[] GetSupportedVersions() => ProtocolVersion.DTLSv12.Only();

    protected override int[] GetSupportedCipherSuites() => [.. _shape.CipherSuites];

    /// <summary>A key_share body with fresh shares for the listed groups (X25519MLKEM768 = ML-KEM-768 ek || X25519).</summary>
    private static byte[] KeyShare(byte[] groupList)
    {
        var random = new SecureRandom();
        var entries = new List<byte>();
        for (int i = 2; i + 1 < groupList.Length; i += 2)
        {
            int group = groupList[i] << 8 | groupList[i + 1];
            byte[] share = group switch
            {
                ClientHelloProfiles.X25519MlKem768 => [.. MlKemPublicKey(random), .. X25519Public(random)],
                ClientHelloProfiles.X25519 => X25519Public(random),
                _ => RandomNumberGenerator.GetBytes(32),
            };
            entries.AddRange([(byte)(group >> 8), (byte)group, (byte)(share.Length >> 8), (byte)share.Length]);
            entries.AddRange(share);
        }

        return [(byte)(entries.Count >> 8), (byte)entries.Count, .. entries];
    }

    private static byte[] X25519Public(SecureRandom random) => new X25519PrivateKeyParameters(random).GeneratePublicKey().GetEncoded();

    private static byte[] MlKemPublicKey(SecureRandom random)
    {
        var generator = new MLKemKeyPairGenerator();
        generator.Init(new MLKemKeyGenerationParameters(random, MLKemParameters.ml_kem_768));
        return ((MLKemPublicKeyParameters)generator.GenerateKeyPair().Public).GetEncoded();
    }

    private sealed class Authentication(WebRtcTlsClient client) : TlsAuthentication
    {
        public void NotifyServerCertificate(TlsServerCertificate serverCertificate)
        {
            var chain = serverCertificate.Certificate;
            if (chain is null || chain.IsEmpty || !client._options.RemoteFingerprint!.Matches(chain.GetCertificateAt(0).GetEncoded()))
            {
                client.RejectedFingerprint = true;
                throw new TlsFatalAlert(AlertDescription.bad_certificate);
            }
        }

        public TlsCredentials GetClientCredentials(CertificateRequest certificateRequest)
        {
            var certificate = new Certificate([client._crypto.CreateCertificate(client._options.Certificate!.Der)]);
            return new BcDefaultTlsCredentialedSigner(
                new TlsCryptoParameters(client.m_context),
                client._crypto,
                client._options.Certificate.PrivateKey,
                certificate,
                new SignatureAndHashAlgorithm(Org.BouncyCastle.Tls.HashAlgorithm.sha256, SignatureAlgorithm.ecdsa));
        }
    }
}
