using System.Net;
using Inroad.Broker.Matching;

namespace Inroad.Geo;

/// <summary>GeoIP for a deployment without databases (the demo): every address is unknown.</summary>
internal sealed class NoGeoLookup : IGeoLookup
{
    public static NoGeoLookup Instance { get; } = new();

    public GeoKey Lookup(IPAddress address) => GeoKey.Unknown;
}
