using System.Buffers.Binary;
using Inroad.Protocol;

namespace Inroad.Broker.Quality;

/// <summary>
/// What quality is recorded for (design §2.2, §4.5): a proxy ID on one ASN, since a proxy that moves to another
/// network is a different proxy as far as its clients can tell. On the wire 36 bytes: the proxy ID, then the ASN
/// big-endian; an unknown ASN (0 here) is the reserved 65536 there.
/// </summary>
internal readonly record struct ProxyQualityKey(Id32 ProxyId, uint ProxyAsn)
{
    /// <summary>Wire length.</summary>
    public const int Length = Id32.Length + 4;

    /// <summary>The ASN that stands for "unknown" on the wire.</summary>
    public const uint UnknownAsnOnWire = 65536;

    /// <summary>The 36 wire bytes.</summary>
    public byte[] ToBytes()
    {
        byte[] bytes = new byte[Length];
        ProxyId.CopyTo(bytes);
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(Id32.Length), ProxyAsn == 0 ? UnknownAsnOnWire : ProxyAsn);
        return bytes;
    }

    /// <summary>Parses 36 wire bytes; false for any other length.</summary>
    public static bool TryRead(ReadOnlySpan<byte> bytes, out ProxyQualityKey key)
    {
        key = default;
        if (bytes.Length != Length || !Id32.TryRead(bytes[..Id32.Length], out Id32 id))
        {
            return false;
        }

        uint asn = BinaryPrimitives.ReadUInt32BigEndian(bytes[Id32.Length..]);
        key = new ProxyQualityKey(id, asn == UnknownAsnOnWire ? 0 : asn);
        return true;
    }

    public override string ToString() => $"ProxyQualityKey({ProxyId.ToHex()[..8]}…, AS{ProxyAsn})";
}
