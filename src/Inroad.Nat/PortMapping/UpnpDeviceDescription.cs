namespace Inroad.Nat.PortMapping;

/// <summary>
/// The parts of an IGD device description (UPnP Device Architecture §2) a port-mapping client needs: the
/// WANCommonInterfaceConfig service, the WAN*Connection service to map ports with (IP before PPP, v2 before v1),
/// WANIPv6FirewallControl when present, and URLBase.
/// </summary>
internal sealed record UpnpDeviceDescription(string? UrlBase, UpnpService? CommonInterfaceConfig, UpnpService? Connection, UpnpService? IPv6FirewallControl)
{
    private static readonly string[] ConnectionPreference =
    [
        "urn:schemas-upnp-org:service:WANIPConnection:2",
        "urn:schemas-upnp-org:service:WANIPConnection:1",
        "urn:schemas-upnp-org:service:WANPPPConnection:2",
        "urn:schemas-upnp-org:service:WANPPPConnection:1",
    ];

    public static bool TryParse(string xml, out UpnpDeviceDescription description)
    {
        description = new UpnpDeviceDescription(null, null, null, null);
        var services = new List<UpnpService>();
        string? urlBase = null;
        var current = new Dictionary<string, string>(StringComparer.Ordinal);
        bool ok = UpnpXml.TryWalk(xml, (path, text) =>
        {
            if (path.Count >= 2 && path[^1] == "URLBase" && path.Count == 2)
            {
                urlBase = text.Trim();
                return;
            }

            if (path.Count >= 2 && path[^2] == "service")
            {
                if (current.ContainsKey(path[^1]))
                {
                    Flush(); // a new <service> began
                }

                current[path[^1]] = text.Trim();
            }
        });
        Flush();
        if (!ok)
        {
            return false;
        }

        UpnpService? Find(string type) => services.FirstOrDefault(s => string.Equals(s.ServiceType, type, StringComparison.Ordinal));
        UpnpService? connection = ConnectionPreference.Select(Find).FirstOrDefault(s => s is not null);
        description = new UpnpDeviceDescription(
            string.IsNullOrEmpty(urlBase) ? null : urlBase,
            services.FirstOrDefault(s => s.ServiceType.StartsWith("urn:schemas-upnp-org:service:WANCommonInterfaceConfig:", StringComparison.Ordinal)),
            connection,
            services.FirstOrDefault(s => s.ServiceType.StartsWith("urn:schemas-upnp-org:service:WANIPv6FirewallControl:", StringComparison.Ordinal)));
        return true;

        void Flush()
        {
            if (current.TryGetValue("serviceType", out string? type) && current.TryGetValue("controlURL", out string? control))
            {
                services.Add(new UpnpService(
                    type,
                    control,
                    current.GetValueOrDefault("eventSubURL", string.Empty),
                    current.GetValueOrDefault("SCPDURL", string.Empty)));
            }

            current.Clear();
        }
    }

    /// <summary>Resolves a service URL against URLBase (if any) or the description's own URL.</summary>
    public Uri? Resolve(Uri descriptionUrl, string url)
    {
        Uri baseUri = descriptionUrl;
        if (UrlBase is not null && Uri.TryCreate(UrlBase, UriKind.Absolute, out Uri? declared))
        {
            baseUri = declared;
        }

        return Uri.TryCreate(baseUri, url, out Uri? result) && result.Scheme == Uri.UriSchemeHttp ? result : null;
    }
}
