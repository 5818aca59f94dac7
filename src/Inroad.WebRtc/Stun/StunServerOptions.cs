using System.Net;

namespace Inroad.WebRtc.Stun;

/// <summary>Options of the small <see cref="StunServer"/> used by <c>inroad demo</c> and tests.</summary>
internal sealed class StunServerOptions
{
    /// <summary>Where to listen. Defaults to 127.0.0.1 on an ephemeral port.</summary>
    public IPEndPoint ListenEndPoint { get; set; } = new(IPAddress.Loopback, 0);

    /// <summary>Also answer MAPPED-ADDRESS for RFC 3489-era clients. Defaults to false.</summary>
    public bool IncludeMappedAddress { get; set; }

    /// <summary>Add RESPONSE-ORIGIN (RFC 5780 §7.3). Defaults to false (no OTHER-ADDRESS: this server has one address).</summary>
    public bool IncludeResponseOrigin { get; set; }

    /// <summary>SOFTWARE attribute. Defaults to null (none).</summary>
    public string? Software { get; set; }

    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(ListenEndPoint, nameof(ListenEndPoint));
        if (Software is { Length: > 127 })
        {
            throw new ArgumentOutOfRangeException(nameof(Software), Software.Length, "SOFTWARE must be fewer than 128 characters (RFC 8489 §14.14).");
        }
    }
}
