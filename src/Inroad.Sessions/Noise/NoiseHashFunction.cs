namespace Inroad.Sessions.Noise;

/// <summary>The hash functions Noise names (§12.3–12.4); we support the two our sessions and vectors use.</summary>
public enum NoiseHashFunction
{
    /// <summary>BLAKE2b-512: what the in-proxy sessions use.</summary>
    Blake2b,

    /// <summary>SHA-256.</summary>
    Sha256,
}
