using System.Net;
using Inroad.Broker.Matching;
using MaxMind.GeoIP2;

namespace Inroad.Geo;

/// <summary>GeoIP from MaxMind-format country and ASN databases (GeoLite2/GeoIP2 .mmdb files, paths in config).</summary>
internal sealed class MaxMindGeoLookup : IGeoLookup, IDisposable
{
    private readonly DatabaseReader? _country;
    private readonly DatabaseReader? _asn;

    /// <summary>Opens the databases (either may be null: that half stays unknown).</summary>
    public MaxMindGeoLookup(string? countryDatabasePath, string? asnDatabasePath)
    {
        _country = string.IsNullOrEmpty(countryDatabasePath) ? null : new DatabaseReader(countryDatabasePath);
        _asn = string.IsNullOrEmpty(asnDatabasePath) ? null : new DatabaseReader(asnDatabasePath);
    }

    public GeoKey Lookup(IPAddress address)
    {
        string? country = null;
        uint asn = 0;
        try
        {
            if (_country is not null && _country.TryCountry(address, out MaxMind.GeoIP2.Responses.CountryResponse? c))
            {
                country = c?.Country.IsoCode;
            }

            if (_asn is not null && _asn.TryAsn(address, out MaxMind.GeoIP2.Responses.AsnResponse? a))
            {
                asn = (uint)(a?.AutonomousSystemNumber ?? 0);
            }
        }
        catch (Exception e) when (e is MaxMind.Db.InvalidDatabaseException or ArgumentException or InvalidOperationException)
        {
            return GeoKey.Unknown;
        }

        return GeoKey.From(country, asn);
    }

    public void Dispose()
    {
        _country?.Dispose();
        _asn?.Dispose();
    }
}
