namespace Inroad.Sessions.Noise;

/// <summary>The tokens of a Noise message pattern (Noise spec rev 34 §7.1, psk tokens §9).</summary>
internal enum NoiseToken : byte
{
    E,
    S,
    EE,
    ES,
    SE,
    SS,
    Psk,
}
