namespace Inroad.WebRtc.Transport;

/// <summary>
/// What an in-memory link does to datagrams: seeded so a failing test replays exactly.
/// Probabilities are per datagram, in [0, 1].
/// </summary>
internal sealed record LinkImpairment
{
    public static LinkImpairment None { get; } = new();

    public double Loss { get; init; }

    public double Duplicate { get; init; }

    /// <summary>Chance that a datagram is held back and sent after the next one.</summary>
    public double Reorder { get; init; }

    /// <summary>One-way delay added to every datagram.</summary>
    public TimeSpan Delay { get; init; }

    public int Seed { get; init; } = 1;

    public void Validate()
    {
        CheckProbability(Loss, nameof(Loss));
        CheckProbability(Duplicate, nameof(Duplicate));
        CheckProbability(Reorder, nameof(Reorder));
        if (Delay < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(Delay), Delay, "Delay must not be negative.");
        }
    }

    private static void CheckProbability(double value, string name)
    {
        if (value is < 0 or > 1 || double.IsNaN(value))
        {
            throw new ArgumentOutOfRangeException(name, value, "A probability must be within [0, 1].");
        }
    }
}
