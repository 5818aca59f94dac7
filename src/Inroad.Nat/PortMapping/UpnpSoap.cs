using System.Net;
using System.Text;

namespace Inroad.Nat.PortMapping;

/// <summary>SOAP 1.1 bodies of the WAN*Connection actions (UPnP IGD), and a safe reader of the answers.</summary>
internal static class UpnpSoap
{
    public static string BuildEnvelope(string serviceType, string action, IEnumerable<KeyValuePair<string, string>> arguments)
    {
        var sb = new StringBuilder(512);
        sb.Append("<?xml version=\"1.0\"?>\r\n<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\" s:encodingStyle=\"http://schemas.xmlsoap.org/soap/encoding/\"><s:Body>");
        sb.Append("<u:").Append(action).Append(" xmlns:u=\"").Append(WebUtility.HtmlEncode(serviceType)).Append("\">");
        foreach ((string name, string value) in arguments)
        {
            sb.Append('<').Append(name).Append('>').Append(WebUtility.HtmlEncode(value)).Append("</").Append(name).Append('>');
        }

        sb.Append("</u:").Append(action).Append("></s:Body></s:Envelope>\r\n");
        return sb.ToString();
    }

    private static int IndexOf(IReadOnlyList<string> path, string name)
    {
        for (int i = 0; i < path.Count; i++)
        {
            if (path[i] == name)
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>The SOAPACTION header value.</summary>
    public static string SoapAction(string serviceType, string action) => $"\"{serviceType}#{action}\"";

    /// <summary>
    /// Reads the arguments of an action response (children of the element inside Body) by name, and the UPnP
    /// error code of a fault (0 when none). False only when the XML itself is unusable.
    /// </summary>
    public static bool TryReadResponse(string xml, out Dictionary<string, string> arguments, out int upnpErrorCode)
    {
        var args = new Dictionary<string, string>(StringComparer.Ordinal);
        int error = 0;
        bool ok = UpnpXml.TryWalk(xml, (path, text) =>
        {
            int body = IndexOf(path, "Body");
            if (body < 0)
            {
                return;
            }

            if (path[^1] == "errorCode" && int.TryParse(text.Trim(), out int code))
            {
                error = code;
            }
            else if (path.Count == body + 3)
            {
                args[path[^1]] = args.TryGetValue(path[^1], out string? before) ? before + text : text;
            }
        });
        arguments = args;
        upnpErrorCode = error;
        return ok;
    }
}
