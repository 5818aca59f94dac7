using Inroad.Protocol.Messages;
using Inroad.WebRtc.DataChannels;

namespace Inroad.Protocol;

/// <summary>
/// Between the broker message's <see cref="TrafficShapingParameters"/> and the data-channel layer's
/// <see cref="DataChannelShaping"/>. The client calls it with what it offered; the proxy with what its
/// ProxyAnnounceResponse carried (<c>TrafficShaping</c>, <c>ClientRootObfuscationSecret</c>), and passes the
/// result to <c>RtcPeerConnection.AcceptStreamAsync(shaping, ct)</c>.
/// </summary>
internal static class InproxyShaping
{
    /// <summary>The data-channel shaping for <paramref name="parameters"/>; null when the client asked for none.</summary>
    /// <exception cref="ArgumentException">The secret is not 32 bytes or the parameters are out of bounds.</exception>
    public static DataChannelShaping? For(TrafficShapingParameters? parameters, ReadOnlyMemory<byte> rootSecret)
    {
        if (parameters is null)
        {
            return null;
        }

        var shaping = new DataChannelShaping(rootSecret.ToArray(), ToDataChannel(parameters));
        shaping.Validate();
        return shaping;
    }

    public static DataChannelShapingParameters ToDataChannel(TrafficShapingParameters p)
    {
        ArgumentNullException.ThrowIfNull(p);
        return new()
        {
            MinPaddedMessages = p.MinPaddedMessages,
            MaxPaddedMessages = p.MaxPaddedMessages,
            MinPaddingSize = p.MinPaddingSize,
            MaxPaddingSize = p.MaxPaddingSize,
            MinDecoyMessages = p.MinDecoyMessages,
            MaxDecoyMessages = p.MaxDecoyMessages,
            MinDecoySize = p.MinDecoySize,
            MaxDecoySize = p.MaxDecoySize,
            DecoyMessageProbability = p.DecoyMessageProbability,
        };
    }

    /// <summary>The in-proxy data-channel defaults {0,10, 0,1500, 0,10, 1,1500, 0.5} as a broker message.</summary>
    public static TrafficShapingParameters Default => FromDataChannel(DataChannelShapingParameters.Default);

    public static TrafficShapingParameters FromDataChannel(DataChannelShapingParameters p)
    {
        ArgumentNullException.ThrowIfNull(p);
        return new()
        {
            MinPaddedMessages = p.MinPaddedMessages,
            MaxPaddedMessages = p.MaxPaddedMessages,
            MinPaddingSize = p.MinPaddingSize,
            MaxPaddingSize = p.MaxPaddingSize,
            MinDecoyMessages = p.MinDecoyMessages,
            MaxDecoyMessages = p.MaxDecoyMessages,
            MinDecoySize = p.MinDecoySize,
            MaxDecoySize = p.MaxDecoySize,
            DecoyMessageProbability = p.DecoyMessageProbability,
        };
    }
}
