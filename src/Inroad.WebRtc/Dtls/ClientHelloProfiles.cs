using System.Buffers.Binary;

namespace Inroad.WebRtc.Dtls;

/// <summary>
/// The ClientHello shapes we wear. Mimicry values are measured from Chromium 156 and Firefox ESR 153
/// captures (../shared/reference/webrtc/browsers.md); Randomized draws from the union of both.
/// </summary>
internal static class ClientHelloProfiles
{
    /// <summary>Group ids: X25519MLKEM768, x25519, secp256r1, secp384r1, ffdhe2048, ffdhe3072.</summary>
    public const int X25519MlKem768 = 0x11ec;
    public const int X25519 = 0x001d;
    public const int Secp256r1 = 0x0017;
    public const int Secp384r1 = 0x0018;

    /// <summary>ECDHE-ECDSA suites a BouncyCastle DTLS 1.2 server with our P-256 certificate can pick.</summary>
    public static IReadOnlyList<int> EcdheEcdsaSuites { get; } = [0xc02b, 0xc02c, 0xcca9, 0xc009, 0xc00a, 0xc023, 0xc024];

    private static readonly int[] ChromiumSuites =
        [0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xcca9, 0xcca8, 0xc009, 0xc013, 0xc00a, 0xc014, 0x009c, 0x002f, 0x0035];

    private static readonly int[] FirefoxSuites = [0x1301, 0x1303, 0xc02b, 0xc02f, 0xcca9, 0xcca8, 0xc00a, 0xc009, 0xc013, 0xc014];

    private static readonly int[] Firefox12Suites = [0xc02b, 0xc02f, 0xcca9, 0xcca8, 0xc00a, 0xc009, 0xc013, 0xc014];

    private static readonly int[] ChromiumSignatureAlgorithms = [0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601, 0x0201];

    private static readonly int[] FirefoxSignatureAlgorithms =
        [0x0403, 0x0503, 0x0603, 0x0203, 0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601, 0x0201, 0x0402, 0x0502, 0x0602, 0x0202];

    /// <summary>Chromium's CertificateRequest signature algorithms: the 9 of its ClientHello, same order.</summary>
    public static IReadOnlyList<int> ServerCertificateRequestAlgorithms => ChromiumSignatureAlgorithms;

    public static ClientHelloShape Chromium { get; } = new()
    {
        Kind = DtlsProfileKind.Chromium,
        CipherSuites = ChromiumSuites,
        PermuteExtensionsPerConnection = true,
        HandshakeDatagramLimit = 1200,
        Extensions =
        [
            new(ExtensionTypes.SignatureAlgorithms, U16List(ChromiumSignatureAlgorithms)),
            new(ExtensionTypes.EcPointFormats, [0x01, 0x00]),
            new(ExtensionTypes.SupportedGroups, U16List([X25519MlKem768, X25519, Secp256r1, Secp384r1])),
            new(ExtensionTypes.SupportedVersions, [0x04, 0xfe, 0xfc, 0xfe, 0xfd]),
            new(ExtensionTypes.PskKeyExchangeModes, [0x01, 0x01]),
            new(ExtensionTypes.RenegotiationInfo, [0x00]),
            new(ExtensionTypes.UseSrtp, SrtpList([0x0001, 0x0008, 0x0007])),
            new(ExtensionTypes.ExtendedMasterSecret, []),
            new(ExtensionTypes.KeyShare, U16List([X25519MlKem768, X25519])),
        ],
    };

    public static ClientHelloShape Firefox { get; } = new()
    {
        Kind = DtlsProfileKind.Firefox,
        CipherSuites = FirefoxSuites,
        HandshakeDatagramLimit = 1408,
        Extensions =
        [
            new(ExtensionTypes.ExtendedMasterSecret, []),
            new(ExtensionTypes.RenegotiationInfo, [0x00]),
            new(ExtensionTypes.SupportedGroups, U16List([X25519MlKem768, X25519, Secp256r1, Secp384r1, 0x0100, 0x0101])),
            new(ExtensionTypes.EcPointFormats, [0x01, 0x00]),
            new(ExtensionTypes.Alpn, Alpn("webrtc", "c-webrtc")),
            new(ExtensionTypes.DelegatedCredentials, U16List([0x0403, 0x0503, 0x0603, 0x0203])),
            new(ExtensionTypes.KeyShare, U16List([X25519MlKem768, X25519])),
            new(ExtensionTypes.SupportedVersions, [0x06, 0xfe, 0xfc, 0xfe, 0xfd, 0x03, 0x03]),
            new(ExtensionTypes.SignatureAlgorithms, U16List(FirefoxSignatureAlgorithms)),
            new(ExtensionTypes.RecordSizeLimit, [0x40, 0x01]),
            new(ExtensionTypes.UseSrtp, SrtpList([0x0007, 0x0008, 0x0001, 0x0002])),
        ],
    };

    public static ClientHelloShape Firefox12 { get; } = new()
    {
        Kind = DtlsProfileKind.Firefox12,
        CipherSuites = Firefox12Suites,
        HandshakeDatagramLimit = 1408,
        Extensions =
        [
            new(ExtensionTypes.ExtendedMasterSecret, []),
            new(ExtensionTypes.RenegotiationInfo, [0x00]),
            new(ExtensionTypes.SupportedGroups, U16List([X25519, Secp256r1, Secp384r1])),
            new(ExtensionTypes.EcPointFormats, [0x01, 0x00]),
            new(ExtensionTypes.Alpn, Alpn("webrtc", "c-webrtc")),
            new(ExtensionTypes.SignatureAlgorithms, U16List(FirefoxSignatureAlgorithms)),
            new(ExtensionTypes.RecordSizeLimit, [0x40, 0x00]),
            new(ExtensionTypes.UseSrtp, SrtpList([0x0007, 0x0008, 0x0001, 0x0002])),
        ],
    };

    public static ClientHelloShape For(DtlsProfileKind kind, Random random) => kind switch
    {
        DtlsProfileKind.Chromium => Chromium,
        DtlsProfileKind.Firefox => Firefox,
        DtlsProfileKind.Firefox12 => Firefox12,
        DtlsProfileKind.Randomized => Randomized(random),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown DTLS profile."),
    };

    /// <summary>
    /// A shape drawn from <paramref name="random"/>: suites from both browsers shuffled and truncated
    /// (at least one ECDHE-ECDSA suite our servers accept), groups, signature algorithms and SRTP profiles
    /// shuffled, sometimes ALPN, sometimes the DTLS 1.3 offer, extensions in a random order.
    /// </summary>
    public static ClientHelloShape Randomized(Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        var suitePool = ChromiumSuites.Union(FirefoxSuites).Union([0xc02c, 0xc023, 0xc024, 0xc030, 0x009d]).ToArray();
        random.Shuffle(suitePool);
        int count = random.Next(3, suitePool.Length + 1);
        var suites = suitePool.Take(count).ToList();
        if (!suites.Any(s => EcdheEcdsaSuites.Contains(s) && !IsTls13Suite(s)))
        {
            suites.Insert(random.Next(suites.Count + 1), EcdheEcdsaSuites[random.Next(3)]);
        }

        bool offer13 = random.Next(2) == 0;
        if (!offer13)
        {
            suites.RemoveAll(IsTls13Suite); // a 1.2-only hello with TLS 1.3 suites is a tell of its own
        }

        var groups = new List<int> { X25519, Secp256r1, Secp384r1 };
        Shuffle(random, groups);
        groups.RemoveRange(0, random.Next(groups.Count)); // keep 1..3 classic groups
        if (offer13)
        {
            groups.Insert(0, X25519MlKem768);
        }

        var sigs = FirefoxSignatureAlgorithms.Where(s => s != 0x0403).ToList();
        Shuffle(random, sigs);
        sigs = sigs.Take(random.Next(2, sigs.Count + 1)).ToList();
        sigs.Insert(random.Next(Math.Min(3, sigs.Count + 1)), 0x0403); // our certificates sign with ecdsa_secp256r1_sha256

        var srtp = new List<int> { 0x0001, 0x0002, 0x0007, 0x0008 };
        Shuffle(random, srtp);
        srtp = srtp.Take(random.Next(1, srtp.Count + 1)).ToList();

        var extensions = new List<HelloExtension>
        {
            new(ExtensionTypes.SignatureAlgorithms, U16List(sigs)),
            new(ExtensionTypes.EcPointFormats, [0x01, 0x00]),
            new(ExtensionTypes.SupportedGroups, U16List(groups)),
            new(ExtensionTypes.RenegotiationInfo, [0x00]),
            new(ExtensionTypes.UseSrtp, SrtpList(srtp)),
            new(ExtensionTypes.ExtendedMasterSecret, []),
        };
        if (offer13)
        {
            extensions.Add(new(ExtensionTypes.SupportedVersions, [0x04, 0xfe, 0xfc, 0xfe, 0xfd]));
            extensions.Add(new(ExtensionTypes.PskKeyExchangeModes, [0x01, 0x01]));
            extensions.Add(new(ExtensionTypes.KeyShare, U16List(random.Next(2) == 0 ? [X25519MlKem768, X25519] : [X25519])));
        }

        if (random.Next(3) == 0)
        {
            string[] names = ["webrtc", "c-webrtc"];
            extensions.Add(new(ExtensionTypes.Alpn, random.Next(2) == 0 ? Alpn(names) : Alpn(RandomToken(random))));
        }

        if (random.Next(4) == 0)
        {
            extensions.Add(new(ExtensionTypes.RecordSizeLimit, [0x40, 0x00]));
        }

        Shuffle(random, extensions);
        return new ClientHelloShape
        {
            Kind = DtlsProfileKind.Randomized,
            CipherSuites = suites,
            Extensions = extensions,
            HandshakeDatagramLimit = 1200,
        };
    }

    public static bool IsTls13Suite(int suite) => suite is >= 0x1301 and <= 0x1305;

    /// <summary>Whether a ClientHello supported_versions body lists <paramref name="version"/>.</summary>
    public static bool ListsVersion(ReadOnlySpan<byte> supportedVersions, int version)
    {
        if (supportedVersions.Length < 1 || supportedVersions[0] + 1 > supportedVersions.Length)
        {
            return false;
        }

        for (int i = 1; i + 1 <= supportedVersions[0]; i += 2)
        {
            if (BinaryPrimitives.ReadUInt16BigEndian(supportedVersions[i..]) == version)
            {
                return true;
            }
        }

        return false;
    }

    public static byte[] U16List(IReadOnlyList<int> values)
    {
        var data = new byte[2 + (2 * values.Count)];
        BinaryPrimitives.WriteUInt16BigEndian(data, (ushort)(2 * values.Count));
        for (int i = 0; i < values.Count; i++)
        {
            BinaryPrimitives.WriteUInt16BigEndian(data.AsSpan(2 + (2 * i)), (ushort)values[i]);
        }

        return data;
    }

    private static byte[] SrtpList(IReadOnlyList<int> profiles) => [.. U16List(profiles), 0x00];

    private static byte[] Alpn(params string[] protocols)
    {
        var list = new List<byte>();
        foreach (string p in protocols)
        {
            list.Add((byte)p.Length);
            list.AddRange(System.Text.Encoding.ASCII.GetBytes(p));
        }

        return [(byte)(list.Count >> 8), (byte)list.Count, .. list];
    }

    private static string RandomToken(Random random)
    {
        const string alphabet = "abcdefghijklmnopqrstuvwxyz0123456789-";
        var chars = new char[random.Next(2, 12)];
        for (int i = 0; i < chars.Length; i++)
        {
            chars[i] = alphabet[random.Next(i == 0 ? 26 : alphabet.Length)];
        }

        return new string(chars);
    }

    private static void Shuffle<T>(Random random, List<T> list)
    {
        for (int i = list.Count - 1; i > 0; i--)
        {
            int j = random.Next(i + 1);
            (list[i], list[j]) = (list[j], list[i]);
        }
    }
}
