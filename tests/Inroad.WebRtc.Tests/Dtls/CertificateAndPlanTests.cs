using Inroad.WebRtc.Dtls;
using Microsoft.Extensions.Time.Testing;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.X509;

namespace Inroad.WebRtc.Tests.Dtls;

public sealed class CertificateAndPlanTests
{
    [Fact]
    public void Certificate_is_shaped_like_Chromiums()
    {
        var now = new DateTimeOffset(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);
        var certificate = DtlsCertificate.Generate(new FakeTimeProvider(now));
        var parsed = new X509CertificateParser().ReadCertificate(certificate.Der);
        Assert.Equal(3, parsed.Version);
        Assert.Null(parsed.CertificateStructure.TbsCertificate.Extensions);
        Assert.Equal(8, parsed.CertificateStructure.SerialNumber.Value.ToByteArray().Length);
        Assert.Equal("CN=WebRTC", parsed.SubjectDN.ToString());
        Assert.Equal(parsed.SubjectDN.ToString(), parsed.IssuerDN.ToString());
        var cn = (Asn1Set)((Asn1Sequence)Asn1Object.FromByteArray(parsed.SubjectDN.GetEncoded()))[0];
        Assert.IsType<DerUtf8String>(((Asn1Sequence)cn[0])[1]);
        Assert.Equal(now.UtcDateTime.AddDays(-1), parsed.NotBefore.ToUniversalTime());
        Assert.Equal(now.UtcDateTime.AddDays(30), parsed.NotAfter.ToUniversalTime());
        Assert.Equal("1.2.840.10045.4.3.2", parsed.SigAlgOid); // ecdsa-with-SHA256
        Assert.Equal("1.2.840.10045.3.1.7", ((DerObjectIdentifier)parsed.CertificateStructure.SubjectPublicKeyInfo.Algorithm.Parameters).Id); // P-256
        Assert.InRange(certificate.Der.Length, 278, 284); // Chromium: 281–282
        parsed.Verify(parsed.GetPublicKey());
    }

    [Fact]
    public void Fingerprint_round_trips_through_the_SDP_form()
    {
        var certificate = DtlsCertificate.Generate();
        string sdp = certificate.Fingerprint.ToSdpValue();
        Assert.Matches("^sha-256 ([0-9A-F]{2}:){31}[0-9A-F]{2}$", sdp);
        Assert.True(DtlsFingerprint.TryParse(sdp, out var parsed));
        Assert.Equal(certificate.Fingerprint, parsed);
        Assert.True(parsed.Matches(certificate.Der));
        Assert.False(DtlsFingerprint.TryParse("sha-256 AB:CD", out _));
        Assert.False(DtlsFingerprint.TryParse("sha-256 " + sdp[8..].Replace('A', 'G'), out _) && sdp.Contains('A', StringComparison.Ordinal));
    }

    [Fact]
    public void Plan_is_deterministic_from_the_seed_and_separate_for_offerer_and_answerer()
    {
        int differ = 0;
        var kinds = new Dictionary<DtlsProfileKind, int>();
        for (int i = 0; i < 400; i++)
        {
            byte[] secret = DtlsTestPeers.Seed(i);
            var offer = DtlsShapePlan.Derive(secret, SignalingRole.Offerer, new DtlsProfileChoice());
            var again = DtlsShapePlan.Derive(secret, SignalingRole.Offerer, new DtlsProfileChoice());
            var answer = DtlsShapePlan.Derive(secret, SignalingRole.Answerer, new DtlsProfileChoice());
            Assert.Equal(offer.Kind, again.Kind);
            Assert.Equal(offer.ClientHello.CipherSuites, again.ClientHello.CipherSuites);
            Assert.Equal(offer.ClientHello.Extensions.Select(e => e.Type), again.ClientHello.Extensions.Select(e => e.Type));
            Assert.Equal(offer.ServerExtensionOrder, again.ServerExtensionOrder);
            if (offer.Kind != answer.Kind || !offer.ServerExtensionOrder.SequenceEqual(answer.ServerExtensionOrder))
            {
                differ++;
            }

            kinds[offer.Kind] = kinds.GetValueOrDefault(offer.Kind) + 1;
        }

        Assert.True(differ > 200, $"offerer and answerer differ in only {differ} of 400");
        Assert.InRange(kinds[DtlsProfileKind.Randomized], 70, 130); // 0.25 of 400
        Assert.InRange(kinds[DtlsProfileKind.Chromium], 110, 190);
        Assert.InRange(kinds[DtlsProfileKind.Firefox], 110, 190);
    }

    [Fact]
    public void Profile_choice_is_validated()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new DtlsProfileChoice { RandomizedProbability = 1.5 }.Validate());
        Assert.Throws<ArgumentException>(() => new DtlsProfileChoice { Allowed = [] }.Validate());
        var only = DtlsShapePlan.Derive(DtlsTestPeers.Seed(3), SignalingRole.Answerer, new DtlsProfileChoice { Allowed = [DtlsProfileKind.Firefox] });
        Assert.Equal(DtlsProfileKind.Firefox, only.Kind);
    }
}
