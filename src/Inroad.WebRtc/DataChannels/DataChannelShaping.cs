namespace Inroad.WebRtc.DataChannels;

/// <summary>
/// Turns traffic shaping on for a reliable data channel's stream: <paramref name="RootSecret"/> is the
/// client's 32-byte root obfuscation secret (both peers have it), from which each side seeds its own choices
/// through HKDF-SHA256 with the context <c>in-proxy-traffic-shaping-offer</c> (the offerer, our client) or
/// <c>in-proxy-traffic-shaping-answer</c> (the answerer, our proxy), so a dial can be replayed.
/// </summary>
/// <param name="RootSecret">The client's root obfuscation secret, 32 bytes.</param>
/// <param name="Parameters">Padding and decoy bounds; both peers use the same.</param>
public sealed record DataChannelShaping(ReadOnlyMemory<byte> RootSecret, DataChannelShapingParameters Parameters)
{
    /// <summary>Throws naming the first bad property.</summary>
    public void Validate()
    {
        if (RootSecret.Length != 32)
        {
            throw new ArgumentException("RootSecret must be 32 bytes.", nameof(RootSecret));
        }

        ArgumentNullException.ThrowIfNull(Parameters, nameof(Parameters));
        Parameters.Validate();
    }
}
