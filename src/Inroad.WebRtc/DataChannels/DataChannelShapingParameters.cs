namespace Inroad.WebRtc.DataChannels;

/// <summary>
/// How much padding and how many decoys a shaped data channel sends (in-proxy design §6.5): the first
/// N messages (N in [<see cref="MinPaddedMessages"/>, <see cref="MaxPaddedMessages"/>]) carry random padding,
/// and up to M pure-padding decoys answer reads with probability <see cref="DecoyMessageProbability"/>.
/// The client picks these and the proxy applies the same values, each with its own seeded choices.
/// </summary>
public sealed record DataChannelShapingParameters
{
    /// <summary>Largest count the broker accepts.</summary>
    public const int MaxMessages = 100;

    /// <summary>Largest padding or decoy size the broker accepts.</summary>
    public const int MaxSize = 16384;

    /// <summary>The in-proxy defaults for data channels: {0,10, 0,1500, 0,10, 1,1500, 0.5}.</summary>
    public static DataChannelShapingParameters Default { get; } = new()
    {
        MinPaddedMessages = 0,
        MaxPaddedMessages = 10,
        MinPaddingSize = 0,
        MaxPaddingSize = 1500,
        MinDecoyMessages = 0,
        MaxDecoyMessages = 10,
        MinDecoySize = 1,
        MaxDecoySize = 1500,
        DecoyMessageProbability = 0.5,
    };

    /// <summary>Fewest leading messages that carry padding.</summary>
    public int MinPaddedMessages { get; init; }

    /// <summary>Most leading messages that carry padding.</summary>
    public int MaxPaddedMessages { get; init; }

    /// <summary>Smallest padding of a padded message.</summary>
    public int MinPaddingSize { get; init; }

    /// <summary>Largest padding of a padded message.</summary>
    public int MaxPaddingSize { get; init; }

    /// <summary>Fewest decoy messages.</summary>
    public int MinDecoyMessages { get; init; }

    /// <summary>Most decoy messages.</summary>
    public int MaxDecoyMessages { get; init; }

    /// <summary>Smallest decoy (its padding length).</summary>
    public int MinDecoySize { get; init; }

    /// <summary>Largest decoy (its padding length).</summary>
    public int MaxDecoySize { get; init; }

    /// <summary>Chance that a read is answered with a decoy while decoys remain and nothing is buffered.</summary>
    public double DecoyMessageProbability { get; init; }

    /// <summary>Throws naming the first bad property: counts within [0, 100], sizes within [0, 16384], min ≤ max, 0 ≤ p ≤ 1.</summary>
    public void Validate()
    {
        Check(MinPaddedMessages, MaxPaddedMessages, MaxMessages, nameof(MinPaddedMessages));
        Check(MinPaddingSize, MaxPaddingSize, MaxSize, nameof(MinPaddingSize));
        Check(MinDecoyMessages, MaxDecoyMessages, MaxMessages, nameof(MinDecoyMessages));
        Check(MinDecoySize, MaxDecoySize, MaxSize, nameof(MinDecoySize));
        if (!(DecoyMessageProbability is >= 0 and <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(DecoyMessageProbability), DecoyMessageProbability, "Must be within [0, 1].");
        }
    }

    private static void Check(int min, int max, int limit, string name)
    {
        if (min < 0 || min > max || max > limit)
        {
            throw new ArgumentOutOfRangeException(name, $"Need 0 <= min ({min}) <= max ({max}) <= {limit}.");
        }
    }
}
