namespace Inroad.WebRtc.Stun;

/// <summary>Where one attribute sits in a parsed message: its type, and its value's offset and length (padding excluded).</summary>
internal readonly record struct StunAttribute(ushort Type, int ValueOffset, int ValueLength)
{
    /// <summary>Offset of the attribute header (type and length), 4 bytes before the value.</summary>
    public int HeaderOffset => ValueOffset - 4;
}
