namespace Inroad.WebRtc.Stun;

/// <summary>Retransmission and shape of a <see cref="StunClient"/>'s requests (RFC 8489 §6.2.1).</summary>
internal sealed class StunClientOptions
{
    /// <summary>Initial retransmission timeout. Defaults to 500 ms (RFC 8489 §6.2.1); must be 10 ms..60 s.</summary>
    public TimeSpan InitialRto { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Rc: how many times a request is sent in all. Defaults to 7; must be 1..20.</summary>
    public int MaxSends { get; set; } = 7;

    /// <summary>Rm: after the last send, wait this many RTOs for an answer. Defaults to 16; must be 1..64.</summary>
    public int LastWaitMultiplier { get; set; } = 16;

    /// <summary>Cap on the doubled RTO between sends. Defaults to no cap (<see cref="Timeout.InfiniteTimeSpan"/>).</summary>
    public TimeSpan MaxRto { get; set; } = Timeout.InfiniteTimeSpan;

    /// <summary>Adds FINGERPRINT to requests. Defaults to true (servers behind multiplexed ports need it).</summary>
    public bool UseFingerprint { get; set; } = true;

    /// <summary>SOFTWARE attribute; defaults to null (none: browsers send none, and it names us).</summary>
    public string? Software { get; set; }

    /// <summary>Clock for retransmissions. Defaults to <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    public void Validate()
    {
        if (InitialRto < TimeSpan.FromMilliseconds(10) || InitialRto > TimeSpan.FromSeconds(60))
        {
            throw new ArgumentOutOfRangeException(nameof(InitialRto), InitialRto, "InitialRto must be within 10 ms..60 s.");
        }

        if (MaxSends is < 1 or > 20)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxSends), MaxSends, "MaxSends must be within 1..20.");
        }

        if (LastWaitMultiplier is < 1 or > 64)
        {
            throw new ArgumentOutOfRangeException(nameof(LastWaitMultiplier), LastWaitMultiplier, "LastWaitMultiplier must be within 1..64.");
        }

        if (MaxRto != Timeout.InfiniteTimeSpan && MaxRto < InitialRto)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxRto), MaxRto, "MaxRto must be infinite or at least InitialRto.");
        }

        ArgumentNullException.ThrowIfNull(TimeProvider, nameof(TimeProvider));
    }

    /// <summary>
    /// Wait after send number <paramref name="sendIndex"/> (0-based): RTO, 2·RTO, 4·RTO … and Rm·RTO after the last.
    /// With the defaults the sends go at 0, 0.5, 1.5, 3.5, 7.5, 15.5, 31.5 s and the transaction fails at 39.5 s.
    /// </summary>
    public TimeSpan WaitAfterSend(int sendIndex)
    {
        if (sendIndex >= MaxSends - 1)
        {
            return InitialRto * LastWaitMultiplier;
        }

        TimeSpan rto = InitialRto * Math.Pow(2, sendIndex);
        return MaxRto != Timeout.InfiniteTimeSpan && rto > MaxRto ? MaxRto : rto;
    }
}
