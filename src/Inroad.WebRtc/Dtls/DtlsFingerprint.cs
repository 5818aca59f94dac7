using System.Globalization;
using System.Security.Cryptography;

namespace Inroad.WebRtc.Dtls;

/// <summary>
/// A certificate's SHA-256 fingerprint as carried in SDP (<c>a=fingerprint:sha-256 AB:CD:…</c>, RFC 8122).
/// The only trust anchor a WebRTC peer has: no CA, no names.
/// </summary>
public sealed class DtlsFingerprint : IEquatable<DtlsFingerprint>
{
    private readonly byte[] _hash;

    private DtlsFingerprint(byte[] hash) => _hash = hash;

    public ReadOnlySpan<byte> Hash => _hash;

    public static DtlsFingerprint Of(ReadOnlySpan<byte> certificateDer) => new(SHA256.HashData(certificateDer));

    public static DtlsFingerprint FromHash(ReadOnlySpan<byte> sha256)
    {
        if (sha256.Length != 32)
        {
            throw new ArgumentException("A SHA-256 fingerprint is 32 bytes.", nameof(sha256));
        }

        return new DtlsFingerprint(sha256.ToArray());
    }

    /// <summary>Parses "sha-256 AB:CD:…" or the bare colon-separated hex; false on anything else.</summary>
    public static bool TryParse(string? text, out DtlsFingerprint fingerprint)
    {
        fingerprint = null!;
        if (text is null)
        {
            return false;
        }

        string value = text.Trim();
        if (value.StartsWith("sha-256 ", StringComparison.OrdinalIgnoreCase))
        {
            value = value[8..].Trim();
        }

        string[] parts = value.Split(':');
        if (parts.Length != 32)
        {
            return false;
        }

        var hash = new byte[32];
        for (int i = 0; i < 32; i++)
        {
            if (parts[i].Length != 2 || !byte.TryParse(parts[i], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out hash[i]))
            {
                return false;
            }
        }

        fingerprint = new DtlsFingerprint(hash);
        return true;
    }

    /// <summary>Whether <paramref name="certificateDer"/> hashes to this fingerprint (constant time).</summary>
    public bool Matches(ReadOnlySpan<byte> certificateDer)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(certificateDer, hash);
        return CryptographicOperations.FixedTimeEquals(hash, _hash);
    }

    /// <summary>The SDP attribute value: "sha-256 " and uppercase colon-separated hex, as browsers write it.</summary>
    public string ToSdpValue() => "sha-256 " + Convert.ToHexString(_hash).Chunk(2).Select(c => new string(c)).Aggregate((a, b) => a + ":" + b);

    public override string ToString() => ToSdpValue();

    public bool Equals(DtlsFingerprint? other) => other is not null && CryptographicOperations.FixedTimeEquals(_hash, other._hash);

    public override bool Equals(object? obj) => Equals(obj as DtlsFingerprint);

    public override int GetHashCode() => BitConverter.ToInt32(_hash, 0);
}
