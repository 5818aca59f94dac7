namespace Inroad.Tunnel;

/// <summary>Options of a <see cref="MuxSession"/>.</summary>
public sealed class MuxOptions
{
    /// <summary>
    /// Bytes a peer may send on one stream before the receiver grants more. Defaults to 256 KiB: enough to
    /// fill a data channel at tens of MB/s with 10 ms of RTT, small enough that one stalled application
    /// cannot hold more than this much memory per stream.
    /// </summary>
    public int StreamWindow { get; set; } = 256 * 1024;

    /// <summary>Largest DATA payload per frame. Defaults to 16 KiB, under the data channel's 64 KiB message limit.</summary>
    public int MaxFramePayload { get; set; } = 16 * 1024;

    /// <summary>Streams the accepting side holds open at once; further opens are reset. Defaults to 1024.</summary>
    public int MaxStreams { get; set; } = 1024;

    /// <summary>Opens waiting for <see cref="MuxSession.AcceptStreamAsync"/>. Defaults to 64.</summary>
    public int AcceptBacklog { get; set; } = 64;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first bad property.</summary>
    public void Validate()
    {
        if (StreamWindow is < 16 * 1024 or > 64 * 1024 * 1024)
        {
            throw new ArgumentOutOfRangeException(nameof(StreamWindow), StreamWindow, "Must be within [16 KiB, 64 MiB].");
        }

        if (MaxFramePayload is < 512 or > MuxFrameHeader.MaxPayload)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxFramePayload), MaxFramePayload, "Must be within [512, 65535].");
        }

        if (MaxFramePayload > StreamWindow)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxFramePayload), MaxFramePayload, "Must not exceed StreamWindow.");
        }

        if (MaxStreams < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxStreams), MaxStreams, "Must be at least 1.");
        }

        if (AcceptBacklog < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(AcceptBacklog), AcceptBacklog, "Must be at least 1.");
        }
    }
}
