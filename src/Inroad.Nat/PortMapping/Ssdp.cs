using System.Net;
using System.Text;

namespace Inroad.Nat.PortMapping;

/// <summary>SSDP discovery (UPnP Device Architecture §1.3): the M-SEARCH request and the answer's LOCATION.</summary>
internal static class Ssdp
{
    public const int Port = 1900;
    public static readonly IPAddress MulticastAddress = IPAddress.Parse("239.255.255.250");
    public const string IgdSearchTarget = "urn:schemas-upnp-org:device:InternetGatewayDevice:1";

    // MX 1 (the least UDA allows): a device may delay its answer by a random time up to MX seconds (miniupnpd
    // does), and the whole UPnP probe must fit in PortMapperOptions.ProbeTimeout (2 s by default).
    public static byte[] BuildSearch(string searchTarget) => Encoding.ASCII.GetBytes(
        "M-SEARCH * HTTP/1.1\r\n" +
        "HOST: 239.255.255.250:1900\r\n" +
        "MAN: \"ssdp:discover\"\r\n" +
        "MX: 1\r\n" +
        $"ST: {searchTarget}\r\n\r\n");

    /// <summary>
    /// Reads an M-SEARCH answer ("HTTP/1.1 200") and returns its LOCATION when it is an http URL on the host that
    /// answered: a description URL pointing elsewhere would let any host on the LAN steer our HTTP requests.
    /// </summary>
    public static bool TryReadResponse(ReadOnlySpan<byte> datagram, IPAddress from, out Uri? location, out string? searchTarget)
    {
        location = null;
        searchTarget = null;
        if (datagram.Length is < 12 or > 2048)
        {
            return false;
        }

        string text = Encoding.ASCII.GetString(datagram);
        string[] lines = text.Split("\r\n");
        if (!lines[0].StartsWith("HTTP/1.1 200", StringComparison.Ordinal) && !lines[0].StartsWith("HTTP/1.0 200", StringComparison.Ordinal))
        {
            return false;
        }

        string? loc = null;
        foreach (string line in lines.Skip(1))
        {
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                continue;
            }

            string name = line[..colon].Trim();
            string value = line[(colon + 1)..].Trim();
            if (name.Equals("LOCATION", StringComparison.OrdinalIgnoreCase))
            {
                loc = value;
            }
            else if (name.Equals("ST", StringComparison.OrdinalIgnoreCase))
            {
                searchTarget = value;
            }
        }

        if (loc is null || !Uri.TryCreate(loc, UriKind.Absolute, out Uri? uri) || uri.Scheme != Uri.UriSchemeHttp
            || !IPAddress.TryParse(uri.Host, out IPAddress? host) || !host.Equals(from))
        {
            return false;
        }

        location = uri;
        return true;
    }
}
