namespace Inroad.WebRtc.Dtls;

/// <summary>Which DTLS profiles a peer may wear and how often it picks the randomized one (a tactic).</summary>
public sealed record DtlsProfileChoice
{
    /// <summary>Profiles allowed. Defaults to Chromium, Firefox and Randomized.</summary>
    public IReadOnlyList<DtlsProfileKind> Allowed { get; init; } = [DtlsProfileKind.Chromium, DtlsProfileKind.Firefox, DtlsProfileKind.Randomized];

    /// <summary>Chance of Randomized when allowed. Defaults to 0.25 (Psiphon's production default).</summary>
    public double RandomizedProbability { get; init; } = 0.25;

    public void Validate()
    {
        if (Allowed is null || Allowed.Count == 0)
        {
            throw new ArgumentException("At least one DTLS profile must be allowed.", nameof(Allowed));
        }

        if (RandomizedProbability is < 0 or > 1 || double.IsNaN(RandomizedProbability))
        {
            throw new ArgumentOutOfRangeException(nameof(RandomizedProbability), RandomizedProbability, "A probability must be within [0, 1].");
        }
    }
}
