using System.Net;

namespace Inroad.WebRtc.Sdp;

/// <summary>What <see cref="CandidateFilter"/> keeps.</summary>
internal sealed record CandidateFilterPolicy
{
    /// <summary>Keep IPv4 candidates. Defaults to true.</summary>
    public bool AllowIPv4 { get; init; } = true;

    /// <summary>Keep IPv6 candidates. Defaults to true.</summary>
    public bool AllowIPv6 { get; init; } = true;

    /// <summary>Keep RFC 1918 / RFC 4193 private addresses (personal mode, in-proxy-design.md §4.7). Defaults to false.</summary>
    public bool AllowPrivate { get; init; }

    /// <summary>
    /// Prefixes kept even though they are bogons, e.g. the lab's 198.18.0.0/15 and 203.0.113.0/24 stand-ins for
    /// the internet. Defaults to none.
    /// </summary>
    public IReadOnlyList<IPNetwork> AlsoAllow { get; init; } = [];
}
