using System.Net;
using Inroad.Broker.Matching;

namespace Inroad.Geo;

/// <summary>Country and ASN of an address; <see cref="GeoKey.Unknown"/> when not known.</summary>
internal interface IGeoLookup
{
    /// <summary>Looks up an address. Never throws.</summary>
    GeoKey Lookup(IPAddress address);
}
