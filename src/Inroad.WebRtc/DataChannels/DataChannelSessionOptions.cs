using Inroad.WebRtc.Sctp;

namespace Inroad.WebRtc.DataChannels;

/// <summary>Settings of the data channels over one SCTP association (what a peer connection passes down).</summary>
internal sealed class DataChannelSessionOptions
{
    /// <summary>The SCTP association's settings. Defaults to Chromium's.</summary>
    public SctpOptions Sctp { get; init; } = new();

    /// <summary>
    /// True on the DTLS client, which uses even stream ids; the DTLS server uses odd ones (RFC 8832 §6).
    /// The peer connection knows this from the negotiated a=setup role.
    /// </summary>
    public bool IsDtlsClient { get; init; }

    /// <summary>The peer's SDP a=max-message-size. Defaults to 262144 (Chromium); RFC 8841 says 65536 when absent.</summary>
    public int RemoteMaxMessageSize { get; init; } = 256 * 1024;

    /// <summary>Largest message we send or accept. Defaults to 256 KiB, what we put in our SDP.</summary>
    public int MaxMessageSize { get; init; } = 256 * 1024;

    /// <summary>Writers block while bufferedAmount would exceed this. Defaults to 1 MiB (in-proxy design §6.4).</summary>
    public long BufferedAmountHighWaterMark { get; init; } = 1024 * 1024;

    /// <summary>Blocked writers resume when bufferedAmount falls to this. Defaults to 512 KiB.</summary>
    public long BufferedAmountResumeMark { get; init; } = 512 * 1024;

    /// <summary>Incoming channels waiting in <see cref="DataChannelSession.AcceptChannelAsync"/>. Defaults to 16; more are refused.</summary>
    public int AcceptBacklog { get; init; } = 16;

    /// <summary>Largest write of the reliable <see cref="System.IO.Stream"/> view per message. Defaults to 64 KiB.</summary>
    public int StreamMessageSize { get; init; } = 64 * 1024;

    public void Validate()
    {
        Sctp.Validate();
        if (RemoteMaxMessageSize < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(RemoteMaxMessageSize), RemoteMaxMessageSize, "RemoteMaxMessageSize must be positive.");
        }

        if (MaxMessageSize is < 1024 or > 16 * 1024 * 1024)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxMessageSize), MaxMessageSize, "MaxMessageSize must be within [1 KiB, 16 MiB].");
        }

        if (BufferedAmountResumeMark < 0 || BufferedAmountHighWaterMark < BufferedAmountResumeMark + MaxMessageSize)
        {
            throw new ArgumentOutOfRangeException(nameof(BufferedAmountHighWaterMark), BufferedAmountHighWaterMark, "Need 0 <= ResumeMark and ResumeMark + MaxMessageSize <= HighWaterMark.");
        }

        if (AcceptBacklog is < 1 or > 1024)
        {
            throw new ArgumentOutOfRangeException(nameof(AcceptBacklog), AcceptBacklog, "AcceptBacklog must be within [1, 1024].");
        }

        if (StreamMessageSize < 1 || StreamMessageSize > MaxMessageSize)
        {
            throw new ArgumentOutOfRangeException(nameof(StreamMessageSize), StreamMessageSize, "StreamMessageSize must be within [1, MaxMessageSize].");
        }
    }
}
