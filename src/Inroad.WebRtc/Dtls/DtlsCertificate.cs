using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Operators;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Math;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.X509;

namespace Inroad.WebRtc.Dtls;

/// <summary>
/// A self-signed certificate shaped like Chromium's WebRTC certificate: ECDSA P-256, ecdsa-with-SHA256,
/// X.509 v3 with no extensions, subject = issuer = CN=WebRTC (UTF8String), an 8-byte random serial, valid
/// from one day before creation to 30 days after. About 281 bytes of DER, like the browser's.
/// </summary>
public sealed class DtlsCertificate
{
    private DtlsCertificate(byte[] der, AsymmetricKeyParameter privateKey)
    {
        Der = der;
        PrivateKey = privateKey;
        Fingerprint = DtlsFingerprint.Of(der);
    }

    /// <summary>The certificate's DER encoding.</summary>
    public byte[] Der { get; }

    /// <summary>The SHA-256 fingerprint to put in SDP.</summary>
    public DtlsFingerprint Fingerprint { get; }

    internal AsymmetricKeyParameter PrivateKey { get; }

    /// <summary>Generates a fresh key pair and certificate, dated from <paramref name="timeProvider"/>.</summary>
    public static DtlsCertificate Generate(TimeProvider? timeProvider = null)
    {
        var random = new SecureRandom();
        var keyGenerator = new ECKeyPairGenerator("EC");
        keyGenerator.Init(new ECKeyGenerationParameters(Org.BouncyCastle.Asn1.Sec.SecObjectIdentifiers.SecP256r1, random));
        AsymmetricCipherKeyPair pair = keyGenerator.GenerateKeyPair();

        var now = (timeProvider ?? TimeProvider.System).GetUtcNow().UtcDateTime;
        now = now.AddTicks(-(now.Ticks % TimeSpan.TicksPerSecond));
        var name = new X509Name([X509Name.CN], ["WebRTC"], new Utf8Converter());

        // 8 random bytes, positive and without a leading zero byte (so the DER INTEGER is exactly 8 bytes).
        byte[] serial = new byte[8];
        do
        {
            random.NextBytes(serial);
        }
        while (serial[0] is 0 or > 0x7f);

        var generator = new X509V3CertificateGenerator();
        generator.SetSerialNumber(new BigInteger(1, serial));
        generator.SetIssuerDN(name);
        generator.SetSubjectDN(name);
        generator.SetNotBefore(now.AddDays(-1));
        generator.SetNotAfter(now.AddDays(30));
        generator.SetPublicKey(pair.Public);
        X509Certificate certificate = generator.Generate(new Asn1SignatureFactory("SHA256WITHECDSA", pair.Private, random));
        return new DtlsCertificate(certificate.GetEncoded(), pair.Private);
    }

    /// <summary>Encodes every attribute as UTF8String, as Chromium's BoringSSL does.</summary>
    private sealed class Utf8Converter : X509NameEntryConverter
    {
        public override Org.BouncyCastle.Asn1.Asn1Object GetConvertedValue(Org.BouncyCastle.Asn1.DerObjectIdentifier oid, string value) =>
            new Org.BouncyCastle.Asn1.DerUtf8String(value);
    }
}
