using System.Net;

namespace Inroad.Nat.Discovery;

/// <summary>What RFC 5780 discovery found.</summary>
public sealed record NatDiscoveryResult
{
    /// <summary>Mapping and filtering (unknown halves when a test could not run).</summary>
    public NatType Type { get; init; }

    /// <summary>False when the server lacks OTHER-ADDRESS (not an RFC 5780 server): nothing could be tested.</summary>
    public bool Supported { get; init; }

    /// <summary>The local endpoint of the mapping-test socket.</summary>
    public IPEndPoint? LocalEndPoint { get; init; }

    /// <summary>Our public endpoint as the server saw it (test I).</summary>
    public IPEndPoint? MappedEndPoint { get; init; }

    /// <summary>The server's OTHER-ADDRESS.</summary>
    public IPEndPoint? OtherAddress { get; init; }

    /// <summary>Round-trip times of the STUN transactions that were answered, in order.</summary>
    public IReadOnlyList<TimeSpan> RoundTripTimes { get; init; } = [];

    /// <summary>Why discovery stopped early, or null.</summary>
    public string? Error { get; init; }
}
