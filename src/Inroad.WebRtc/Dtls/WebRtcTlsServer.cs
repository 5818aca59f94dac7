using Org.BouncyCastle.Security;
using Org.BouncyCastle.Tls;
using Org.BouncyCastle.Tls.Crypto;
using Org.BouncyCastle.Tls.Crypto.Impl.BC;

namespace Inroad.WebRtc.Dtls;

/// <summary>
/// The BouncyCastle server peer, answering like Chromium's 1.2 server: ECDHE-ECDSA, a 32-byte session id,
/// client authentication with Chromium's CertificateRequest, use_srtp picked as Chromium picks, no
/// HelloVerifyRequest. The ServerHello extension order follows the plan (BouncyCastle always writes the
/// empty extended_master_secret first). The downgrade sentinel (with Chromium's Unix time in the first four
/// random bytes) goes only to a client that did not offer 1.3: a client offering 1.3 is answered like a
/// 1.2-only server, since a real browser would have picked 1.3 and a 1.3 client aborts on the sentinel.
/// </summary>
internal sealed class WebRtcTlsServer : DefaultTlsServer
{
    /// <summary>Chromium as a server picks SRTP_AES128_CM_HMAC_SHA1_80 when offered, then the AEAD ones.</summary>
    private static readonly int[] SrtpPreference = [0x0001, 0x0007, 0x0008, 0x0002];

    private readonly BcTlsCrypto _crypto;
    private readonly DtlsOptions _options;
    private readonly IReadOnlyList<int> _extensionOrder;
    private readonly int _resendMillis;
    private bool _clientOffered13;

    public WebRtcTlsServer(BcTlsCrypto crypto, DtlsOptions options, IReadOnlyList<int> extensionOrder, Random random)
        : base(crypto)
    {
        _crypto = crypto;
        _options = options;
        _extensionOrder = extensionOrder;
        _resendMillis = JitteredResend(options, random);
    }

    public int SelectedSrtpProfile { get; private set; }

    public bool RejectedFingerprint { get; private set; }

    /// <summary>Test hook: send the sentinel even to a client that offered 1.3 (what a misbehaving server does).</summary>
    public bool AlwaysSendDowngradeSentinel { get; init; }

    /// <summary>The first retransmission timeout with up to +25 % jitter, so peers do not resend in lockstep.</summary>
    public static int JitteredResend(DtlsOptions options, Random random)
    {
        int baseMillis = (int)options.InitialRetransmitTimeout.TotalMilliseconds;
        return baseMillis + random.Next((baseMillis / 4) + 1);
    }

    /// <summary>The cipher suite BouncyCastle negotiated.</summary>
    public int SelectedCipherSuite() => m_context.SecurityParameters.CipherSuite;

    /// <summary>The negotiated protocol version on the wire (0xfefd for DTLS 1.2).</summary>
    public int NegotiatedVersion() => m_context.ServerVersion.FullVersion;

    public override int GetHandshakeResendTimeMillis() => _resendMillis;

    public override int GetHandshakeTimeoutMillis() => (int)_options.HandshakeTimeout.TotalMilliseconds;

    public override bool RequiresExtendedMasterSecret() => true;

    public override byte[] GetNewSessionID() => SecureRandom.GetNextBytes(_crypto.SecureRandom, 32);

    public override bool ShouldUseGmtUnixTime() => !_clientOffered13;

    public override CertificateRequest GetCertificateRequest()
    {
        var algorithms = ClientHelloProfiles.ServerCertificateRequestAlgorithms
            .Select(a => new SignatureAndHashAlgorithm((short)(a >> 8), (short)(a & 0xff)))
            .ToList();
        return new CertificateRequest([ClientCertificateType.rsa_sign, ClientCertificateType.ecdsa_sign], algorithms, null);
    }

    public override void NotifyClientCertificate(Certificate clientCertificate)
    {
        if (clientCertificate is null || clientCertificate.IsEmpty || !_options.RemoteFingerprint!.Matches(clientCertificate.GetCertificateAt(0).GetEncoded()))
        {
            RejectedFingerprint = true;
            throw new TlsFatalAlert(AlertDescription.bad_certificate);
        }
    }

    public override void ProcessClientExtensions(IDictionary<int, byte[]> clientExtensions)
    {
        if (clientExtensions is not null && clientExtensions.TryGetValue(ExtensionTypes.SupportedVersions, out byte[]? versions))
        {
            _clientOffered13 = ClientHelloProfiles.ListsVersion(versions, 0xfefc);
        }

        base.ProcessClientExtensions(clientExtensions);
        var useSrtp = clientExtensions is null ? null : TlsSrtpUtilities.GetUseSrtpExtension(clientExtensions);
        if (useSrtp is not null)
        {
            SelectedSrtpProfile = SrtpPreference.FirstOrDefault(p => useSrtp.ProtectionProfiles.Contains(p));
            if (SelectedSrtpProfile == 0)
            {
                throw new TlsFatalAlert(AlertDescription.handshake_failure);
            }
        }
    }

    public override IDictionary<int, byte[]> GetServerExtensions()
    {
        var offered = base.GetServerExtensions();
        var extensions = new Dictionary<int, byte[]>();
        foreach (int type in _extensionOrder)
        {
            switch (type)
            {
                case ExtensionTypes.RenegotiationInfo:
                    extensions[type] = [0x00];
                    break;
                case ExtensionTypes.EcPointFormats when offered.TryGetValue(type, out byte[]? formats):
                    extensions[type] = formats;
                    break;
                case ExtensionTypes.UseSrtp when SelectedSrtpProfile != 0:
                    extensions[type] = [0x00, 0x02, (byte)(SelectedSrtpProfile >> 8), (byte)SelectedSrtpProfile, 0x00];
                    break;
            }
        }

        if (!_clientOffered13 || AlwaysSendDowngradeSentinel)
        {
            // The ServerHello is encoded after this call from BouncyCastle's own ServerRandom array (pinned 2.7.0;
            // a test guards this).
            "DOWNGRD\u0001"u8.CopyTo(m_context.SecurityParameters.ServerRandom.AsSpan(24));
        }

        return extensions;
    }

    protected override ProtocolVersion[] GetSupportedVersions() => ProtocolVersion.DTLSv12.Only();

    protected override int[] GetSupportedCipherSuites() => [.. ClientHelloProfiles.EcdheEcdsaSuites];

    protected override TlsCredentialedSigner GetECDsaSignerCredentials()
    {
        var certificate = new Certificate([_crypto.CreateCertificate(_options.Certificate!.Der)]);
        return new BcDefaultTlsCredentialedSigner(
            new TlsCryptoParameters(m_context),
            _crypto,
            _options.Certificate.PrivateKey,
            certificate,
            new SignatureAndHashAlgorithm(HashAlgorithm.sha256, SignatureAlgorithm.ecdsa));
    }
}
