namespace Inroad.Broker.Matching;

/// <summary>
/// A peer's GeoIP country and ASN as the matcher compares them: country packed in two bytes
/// (0 = unknown), ASN as a number (0 = unknown).
/// </summary>
internal readonly record struct GeoKey(ushort Country, uint Asn)
{
    /// <summary>Nothing known.</summary>
    public static GeoKey Unknown => default;

    /// <summary>From a two-letter country code (anything else is unknown) and an ASN.</summary>
    public static GeoKey From(string? country, uint asn) =>
        new(country is { Length: 2 } && char.IsAsciiLetter(country[0]) && char.IsAsciiLetter(country[1])
            ? (ushort)((char.ToUpperInvariant(country[0]) << 8) | char.ToUpperInvariant(country[1]))
            : (ushort)0, asn);

    /// <summary>The two-letter country, or empty.</summary>
    public string CountryCode => Country == 0 ? string.Empty : new string([(char)(Country >> 8), (char)(Country & 0xFF)]);

    /// <summary>
    /// True when both peers are known to sit in the same country and the same ASN: a proxy there gives a
    /// client no circumvention value, so common compartments never pair them.
    /// </summary>
    public bool SameNetworkAs(GeoKey other) =>
        Country != 0 && Asn != 0 && Country == other.Country && Asn == other.Asn;
}
