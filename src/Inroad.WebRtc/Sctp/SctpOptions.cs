namespace Inroad.WebRtc.Sctp;

/// <summary>Settings of one SCTP association. Defaults follow what Chromium's dcSCTP puts on the wire.</summary>
internal sealed class SctpOptions
{
    /// <summary>SCTP port on both sides. Defaults to 5000 (the SDP <c>a=sctp-port</c> every browser uses).</summary>
    public ushort LocalPort { get; init; } = 5000;

    /// <summary>Peer's SCTP port. Defaults to 5000.</summary>
    public ushort RemotePort { get; init; } = 5000;

    /// <summary>
    /// Largest SCTP packet, i.e. DTLS payload. Defaults to 1200 bytes, which fits every path that carries
    /// WebRTC (RFC 8261 §5); bounded to [300, 65507].
    /// </summary>
    public int Mtu { get; init; } = 1200;

    /// <summary>Advertised receive window in bytes. Defaults to 5 MiB (Chromium's INIT a_rwnd 5242880).</summary>
    public int ReceiveWindow { get; init; } = 5 * 1024 * 1024;

    /// <summary>Outbound/inbound stream counts offered in INIT. Defaults to 65535 (both browsers).</summary>
    public ushort Streams { get; init; } = 65535;

    /// <summary>Initial retransmission timeout. Defaults to 500 ms (dcSCTP); RFC 9260 suggests 1 s.</summary>
    public TimeSpan RtoInitial { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// Lower bound of the RTO. Defaults to 400 ms (dcSCTP's): it must exceed the peer's delayed-SACK timeout (200 ms
    /// in both browsers and here) plus the path's round trip, or a lone packet's late SACK fires T3 spuriously and
    /// collapses the window to one MTU (seen at 20 ms RTT with 200 ms). At least 10 ms.
    /// </summary>
    public TimeSpan RtoMin { get; init; } = TimeSpan.FromMilliseconds(400);

    /// <summary>Upper bound of the RTO. Defaults to 60 s (RFC 9260 §16).</summary>
    public TimeSpan RtoMax { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How long a SACK may be delayed (RFC 9260 §6.2 requires under 500 ms). Defaults to 200 ms.</summary>
    public TimeSpan DelayedAck { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Heartbeat interval on an idle path. Defaults to 30 s (RFC 9260 §16).</summary>
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Consecutive unanswered retransmissions before the association fails. Defaults to 10 (Association.Max.Retrans).</summary>
    public int MaxRetransmissions { get; init; } = 10;

    /// <summary>INIT/COOKIE-ECHO attempts before giving up. Defaults to 8 (Max.Init.Retransmits).</summary>
    public int MaxInitRetransmissions { get; init; } = 8;

    /// <summary>How long a state cookie is valid. Defaults to 60 s (Valid.Cookie.Life).</summary>
    public TimeSpan CookieLifetime { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Offer RFC 9653 zero checksum (DTLS error detection method). Used only if both sides offer it.
    /// Defaults to false: Chromium 156 does not offer it, and offering it changes the INIT fingerprint.
    /// </summary>
    public bool OfferZeroChecksum { get; init; }

    /// <summary>Acknowledge every Nth packet carrying DATA at once (RFC 9260 §6.2: at most 2). Defaults to 2.</summary>
    public int AckEveryPackets { get; init; } = 2;

    public void Validate()
    {
        if (Mtu is < 300 or > 65507)
        {
            throw new ArgumentOutOfRangeException(nameof(Mtu), Mtu, "Mtu must be within [300, 65507].");
        }

        if (ReceiveWindow is < 1500 or > 64 * 1024 * 1024)
        {
            throw new ArgumentOutOfRangeException(nameof(ReceiveWindow), ReceiveWindow, "ReceiveWindow must be within [1500, 64 MiB].");
        }

        if (Streams == 0)
        {
            throw new ArgumentOutOfRangeException(nameof(Streams), Streams, "Streams must be positive.");
        }

        if (RtoMin < TimeSpan.FromMilliseconds(10) || RtoMax < RtoMin || RtoInitial < RtoMin || RtoInitial > RtoMax)
        {
            throw new ArgumentOutOfRangeException(nameof(RtoInitial), RtoInitial, "Need 10 ms <= RtoMin <= RtoInitial <= RtoMax.");
        }

        if (DelayedAck < TimeSpan.Zero || DelayedAck >= TimeSpan.FromMilliseconds(500))
        {
            throw new ArgumentOutOfRangeException(nameof(DelayedAck), DelayedAck, "DelayedAck must be within [0, 500 ms).");
        }

        if (HeartbeatInterval <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(HeartbeatInterval), HeartbeatInterval, "HeartbeatInterval must be positive.");
        }

        if (MaxRetransmissions is < 1 or > 100)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxRetransmissions), MaxRetransmissions, "MaxRetransmissions must be within [1, 100].");
        }

        if (MaxInitRetransmissions is < 1 or > 100)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxInitRetransmissions), MaxInitRetransmissions, "MaxInitRetransmissions must be within [1, 100].");
        }

        if (CookieLifetime <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(CookieLifetime), CookieLifetime, "CookieLifetime must be positive.");
        }

        if (AckEveryPackets is < 1 or > 2)
        {
            throw new ArgumentOutOfRangeException(nameof(AckEveryPackets), AckEveryPackets, "AckEveryPackets must be 1 or 2.");
        }
    }
}
