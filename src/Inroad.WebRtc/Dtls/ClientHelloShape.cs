namespace Inroad.WebRtc.Dtls;

/// <summary>
/// Everything a ClientHello shows a censor, as data: cipher suites, extensions with their contents and
/// order, and the datagram limit used for the first flight. Built by <see cref="ClientHelloProfiles"/>.
/// </summary>
internal sealed class ClientHelloShape
{
    public required DtlsProfileKind Kind { get; init; }

    /// <summary>Cipher suites in wire order (may include TLS 1.3 suites that a 1.2 server simply never picks).</summary>
    public required IReadOnlyList<int> CipherSuites { get; init; }

    /// <summary>
    /// Extensions in their canonical order (the order sent when <see cref="PermuteExtensionsPerConnection"/>
    /// is false). A <c>key_share</c> (51) entry holds only its group list; fresh key shares are made per connection.
    /// </summary>
    public required IReadOnlyList<HelloExtension> Extensions { get; init; }

    /// <summary>Chromium (BoringSSL) permutes its extension order on every connection.</summary>
    public bool PermuteExtensionsPerConnection { get; init; }

    /// <summary>Largest datagram of the handshake (Chromium 1200, Firefox 1408 for its first flight).</summary>
    public int HandshakeDatagramLimit { get; init; } = 1200;

    /// <summary>True when supported_versions lists DTLS 1.3 (0xfefc): the client must then refuse a downgrade sentinel.</summary>
    public bool OffersDtls13 => Extensions.Any(e => e.Type == ExtensionTypes.SupportedVersions && ClientHelloProfiles.ListsVersion(e.Data, 0xfefc));

    /// <summary>SRTP protection profiles offered in use_srtp, in order (empty when use_srtp is absent).</summary>
    public IReadOnlyList<int> SrtpProfiles
    {
        get
        {
            var srtp = Extensions.FirstOrDefault(e => e.Type == ExtensionTypes.UseSrtp);
            if (srtp.Data is null || srtp.Data.Length < 2)
            {
                return [];
            }

            int n = (srtp.Data[0] << 8 | srtp.Data[1]) / 2;
            var list = new int[n];
            for (int i = 0; i < n; i++)
            {
                list[i] = srtp.Data[2 + (2 * i)] << 8 | srtp.Data[3 + (2 * i)];
            }

            return list;
        }
    }
}

/// <summary>One extension: its type and its body as sent.</summary>
internal readonly record struct HelloExtension(int Type, byte[] Data);

/// <summary>TLS extension type numbers we name (IANA "TLS ExtensionType Values").</summary>
internal static class ExtensionTypes
{
    public const int SupportedGroups = 10;
    public const int EcPointFormats = 11;
    public const int SignatureAlgorithms = 13;
    public const int UseSrtp = 14;
    public const int Alpn = 16;
    public const int ExtendedMasterSecret = 23;
    public const int RecordSizeLimit = 28;
    public const int DelegatedCredentials = 34;
    public const int SupportedVersions = 43;
    public const int PskKeyExchangeModes = 45;
    public const int KeyShare = 51;
    public const int RenegotiationInfo = 65281;
}
