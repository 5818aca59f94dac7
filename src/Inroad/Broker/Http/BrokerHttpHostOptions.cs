using System.Net;
using System.Security.Cryptography.X509Certificates;

namespace Inroad.Broker.Http;

/// <summary>The broker's HTTP listener.</summary>
internal sealed class BrokerHttpHostOptions
{
    /// <summary>Where to listen. Defaults to 127.0.0.1 on an ephemeral port.</summary>
    public IPEndPoint Listen { get; set; } = new(IPAddress.Loopback, 0);

    /// <summary>The one POST path. Defaults to <c>/inroad-broker</c>.</summary>
    public string Path { get; set; } = "/inroad-broker";

    /// <summary>TLS certificate; null serves cleartext HTTP/2 only (h2c, for tests and behind a TLS-terminating CDN).</summary>
    public X509Certificate2? Certificate { get; set; }

    /// <summary>Largest accepted body. Defaults to 65536 bytes (design §2.6).</summary>
    public int MaxBodySize { get; set; } = 65536;

    /// <summary>CDN header carrying the original client IP (right-most entry is used), e.g. <c>X-Forwarded-For</c>.</summary>
    public string? ForwardedForHeader { get; set; }

    /// <summary>Header the CDN adds with <see cref="SecretHeaderValue"/>; the forwarding header is trusted only when it matches.</summary>
    public string? SecretHeaderName { get; set; }

    /// <summary>The secret value.</summary>
    public string? SecretHeaderValue { get; set; }

    /// <summary>Throws naming the first bad property.</summary>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(Listen, nameof(Listen));
        if (string.IsNullOrEmpty(Path) || Path[0] != '/')
        {
            throw new ArgumentOutOfRangeException(nameof(Path), Path, "Must start with '/'.");
        }

        if (MaxBodySize is < 1024 or > 1 << 20)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxBodySize), MaxBodySize, "Must be 1 KiB .. 1 MiB.");
        }

        if (ForwardedForHeader is not null && (string.IsNullOrEmpty(SecretHeaderName) || string.IsNullOrEmpty(SecretHeaderValue)))
        {
            throw new ArgumentOutOfRangeException(nameof(ForwardedForHeader), ForwardedForHeader, "A forwarding header needs a secret header name and value.");
        }
    }
}
