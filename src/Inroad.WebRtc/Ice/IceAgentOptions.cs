namespace Inroad.WebRtc.Ice;

/// <summary>Timing and shape of the sans-IO <see cref="IceAgent"/>. Defaults follow Chromium where it was measured.</summary>
internal sealed class IceAgentOptions
{
    /// <summary>Our role at start. Defaults to controlling (the offerer's role).</summary>
    public IceRole Role { get; set; } = IceRole.Controlling;

    /// <summary>Our ufrag and pwd. Defaults to fresh Chromium-shaped credentials.</summary>
    public IceCredentials LocalCredentials { get; set; } = IceCredentials.NewChromium();

    /// <summary>Ta, the pacing between new checks (RFC 8445 §14.2). Defaults to 50 ms; must be 5 ms..1 s.</summary>
    public TimeSpan Pacing { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>First retransmission timeout of a check; doubles up to <see cref="MaxCheckRto"/>. Defaults to 250 ms.</summary>
    public TimeSpan CheckRto { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Cap of the doubled check RTO. Defaults to 1.6 s.</summary>
    public TimeSpan MaxCheckRto { get; set; } = TimeSpan.FromMilliseconds(1600);

    /// <summary>Sends of one check before its pair fails. Defaults to 8 (about 7 s with the default RTOs); 1..30.</summary>
    public int MaxCheckSends { get; set; } = 8;

    /// <summary>With no selected pair after this long the agent fails. Defaults to 12 s.</summary>
    public TimeSpan FailedTimeout { get; set; } = TimeSpan.FromSeconds(12);

    /// <summary>
    /// Interval of checks on the selected pair (RFC 7675 consent, also the keepalive), randomized ×[0.8, 1.2].
    /// Defaults to 2.5 s, Chromium's ping interval for a stable pair (RFC 7675 asks for at most 5 s).
    /// </summary>
    public TimeSpan ConsentInterval { get; set; } = TimeSpan.FromMilliseconds(2500);

    /// <summary>RFC 7675: consent expires with no answered check for this long; the agent fails. Defaults to 30 s.</summary>
    public TimeSpan ConsentTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Nothing received on the selected pair for this long makes the state Disconnected. Defaults to 5 s: with
    /// both sides checking every 2–3 s a quiet but healthy session never reaches it.
    /// </summary>
    public TimeSpan DisconnectedTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Check interval while Disconnected, to notice recovery quickly. Defaults to 500 ms.</summary>
    public TimeSpan DisconnectedCheckInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Add GOOG-NETWORK-INFO to checks, as Chromium does. Defaults to true.</summary>
    public bool GoogNetworkInfo { get; set; } = true;

    /// <summary>Seed for the non-secret randomness (consent jitter); tie-breakers and IDs use the system RNG. Defaults to a random seed.</summary>
    public int? Seed { get; set; }

    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(LocalCredentials, nameof(LocalCredentials));
        if (!IceCredentials.IsValid(LocalCredentials.Ufrag, LocalCredentials.Password))
        {
            throw new ArgumentException("LocalCredentials must be 4+ and 22+ ice-chars (RFC 8839 §5.4).", nameof(LocalCredentials));
        }

        Check(Pacing, TimeSpan.FromMilliseconds(5), TimeSpan.FromSeconds(1), nameof(Pacing));
        Check(CheckRto, TimeSpan.FromMilliseconds(10), TimeSpan.FromSeconds(10), nameof(CheckRto));
        Check(MaxCheckRto, CheckRto, TimeSpan.FromSeconds(60), nameof(MaxCheckRto));
        Check(FailedTimeout, TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(10), nameof(FailedTimeout));
        Check(ConsentInterval, TimeSpan.FromMilliseconds(10), TimeSpan.FromMinutes(1), nameof(ConsentInterval));
        Check(ConsentTimeout, ConsentInterval, TimeSpan.FromMinutes(10), nameof(ConsentTimeout));
        Check(DisconnectedTimeout, TimeSpan.FromMilliseconds(10), TimeSpan.FromMinutes(10), nameof(DisconnectedTimeout));
        Check(DisconnectedCheckInterval, TimeSpan.FromMilliseconds(10), TimeSpan.FromMinutes(1), nameof(DisconnectedCheckInterval));
        if (MaxCheckSends is < 1 or > 30)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxCheckSends), MaxCheckSends, "MaxCheckSends must be within 1..30.");
        }
    }

    private static void Check(TimeSpan value, TimeSpan min, TimeSpan max, string name)
    {
        if (value < min || value > max)
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be within {min}..{max}.");
        }
    }
}
