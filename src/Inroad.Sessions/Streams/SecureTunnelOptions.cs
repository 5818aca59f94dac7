namespace Inroad.Sessions.Streams;

/// <summary>Options of <see cref="SecureTunnelStream"/> and <see cref="SecureTunnelServer"/>.</summary>
public sealed class SecureTunnelOptions
{
    /// <summary>Largest payload per frame. Defaults to 16 KiB: small enough to interleave streams, large enough to amortise two AEAD tags.</summary>
    public int MaxFramePayload { get; set; } = 16 * 1024;

    /// <summary>
    /// Frames at the start of each direction that carry random padding, hiding the sizes of the tunnel
    /// handshake and of the first requests. Defaults to 8.
    /// </summary>
    public int PaddedFrames { get; set; } = 8;

    /// <summary>Largest random padding of a padded frame. Defaults to 1024 bytes.</summary>
    public int MaxPadding { get; set; } = 1024;

    /// <summary>Time for the whole handshake. Defaults to 15 s.</summary>
    public TimeSpan HandshakeTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Accepted difference between the client's clock and ours. Defaults to 5 minutes.</summary>
    public TimeSpan MaxClockSkew { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// How long a server keeps reading, silently, from a peer that failed the handshake before it closes:
    /// a uniformly random time between <see cref="ProbeHoldMin"/> and <see cref="ProbeHoldMax"/>, so a
    /// prober learns neither where the check failed nor a fixed timeout to fingerprint. Defaults to 30–90 s.
    /// </summary>
    public TimeSpan ProbeHoldMin { get; set; } = TimeSpan.FromSeconds(30);

    /// <inheritdoc cref="ProbeHoldMin"/>
    public TimeSpan ProbeHoldMax { get; set; } = TimeSpan.FromSeconds(90);

    /// <summary>Clock for timestamps and timeouts.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first bad property.</summary>
    public void Validate()
    {
        if (MaxFramePayload is < 1024 or > SecureTunnelFraming.MaxBody)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxFramePayload), MaxFramePayload, $"Must be within [1024, {SecureTunnelFraming.MaxBody}].");
        }

        if (PaddedFrames < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(PaddedFrames), PaddedFrames, "Must not be negative.");
        }

        if (MaxPadding < 0 || MaxPadding + MaxFramePayload > SecureTunnelFraming.MaxBody)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxPadding), MaxPadding, "Padding plus MaxFramePayload must fit one frame.");
        }

        if (HandshakeTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(HandshakeTimeout), HandshakeTimeout, "Must be positive.");
        }

        if (MaxClockSkew <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxClockSkew), MaxClockSkew, "Must be positive.");
        }

        if (ProbeHoldMin < TimeSpan.Zero || ProbeHoldMax < ProbeHoldMin)
        {
            throw new ArgumentOutOfRangeException(nameof(ProbeHoldMax), ProbeHoldMax, "Need 0 <= ProbeHoldMin <= ProbeHoldMax.");
        }

        ArgumentNullException.ThrowIfNull(TimeProvider);
    }
}
