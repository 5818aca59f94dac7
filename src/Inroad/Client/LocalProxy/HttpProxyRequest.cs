using System.Text;

namespace Inroad.Client.LocalProxy;

/// <summary>
/// The head of an HTTP/1.x proxy request: CONNECT host:port, or an absolute-form request that is
/// rewritten to origin form with hop-by-hop proxy headers removed and <c>Connection: close</c>.
/// </summary>
internal sealed record HttpProxyRequest(bool IsConnect, string Target, byte[] ForwardHead, ReadOnlyMemory<byte> BufferedBody)
{
    public const int MaxHeadBytes = 16 * 1024;

    /// <summary>Reads until the blank line; returns null when the request is malformed or too large.</summary>
    public static async ValueTask<HttpProxyRequest?> ReadAsync(Stream client, CancellationToken cancellationToken)
    {
        byte[] buffer = new byte[MaxHeadBytes];
        int filled = 0;
        int end;
        while ((end = buffer.AsSpan(0, filled).IndexOf("\r\n\r\n"u8)) < 0)
        {
            if (filled == buffer.Length)
            {
                return null;
            }

            int n = await client.ReadAsync(buffer.AsMemory(filled), cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                return null;
            }

            filled += n;
        }

        string head = Encoding.Latin1.GetString(buffer, 0, end);
        ReadOnlyMemory<byte> body = buffer.AsMemory(end + 4, filled - end - 4);
        string[] lines = head.Split("\r\n");
        string[] requestLine = lines[0].Split(' ');
        if (requestLine.Length != 3 || !requestLine[2].StartsWith("HTTP/1.", StringComparison.Ordinal))
        {
            return null;
        }

        string method = requestLine[0];
        if (method == "CONNECT")
        {
            return requestLine[1].Contains(':', StringComparison.Ordinal)
                ? new HttpProxyRequest(true, requestLine[1], [], body)
                : null;
        }

        if (!Uri.TryCreate(requestLine[1], UriKind.Absolute, out Uri? uri) || uri.Scheme != Uri.UriSchemeHttp)
        {
            return null;
        }

        var forward = new StringBuilder();
        forward.Append(method).Append(' ').Append(uri.PathAndQuery).Append(' ').Append(requestLine[2]).Append("\r\n");
        bool hasHost = false;
        foreach (string line in lines.AsSpan(1))
        {
            if (line.StartsWith("Proxy-", StringComparison.OrdinalIgnoreCase) ||
                line.StartsWith("Connection:", StringComparison.OrdinalIgnoreCase) ||
                line.StartsWith("Keep-Alive:", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            hasHost |= line.StartsWith("Host:", StringComparison.OrdinalIgnoreCase);
            forward.Append(line).Append("\r\n");
        }

        if (!hasHost)
        {
            forward.Append("Host: ").Append(uri.Authority).Append("\r\n");
        }

        // One request per tunnel stream keeps the proxy free of HTTP parsing beyond the head.
        forward.Append("Connection: close\r\n\r\n");
        string host = uri.IdnHost;
        if (uri.HostNameType == UriHostNameType.IPv6 && !host.StartsWith('['))
        {
            host = $"[{host}]";
        }

        return new HttpProxyRequest(false, $"{host}:{uri.Port}", Encoding.Latin1.GetBytes(forward.ToString()), body);
    }
}
