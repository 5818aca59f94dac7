using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Security.Cryptography;
using System.Text;

namespace Inroad.WebRtc.Stun;

/// <summary>
/// A parsed STUN message (RFC 8489 §5–6). <see cref="TryRead"/> never throws on network input: anything that is
/// not a well-formed STUN message (top bits, magic cookie, length, attribute bounds) is refused, which is what
/// Chromium does with it too (probe-answers.md: silence). Unknown attributes are kept, in order.
/// </summary>
internal sealed class StunMessage
{
    public const int HeaderLength = 20;

    private readonly byte[] _raw;
    private readonly StunAttribute[] _attributes;

    private StunMessage(byte[] raw, StunAttribute[] attributes)
    {
        _raw = raw;
        _attributes = attributes;
        ushort type = BinaryPrimitives.ReadUInt16BigEndian(raw);
        Class = (StunClass)(((type >> 4) & 0x1) | ((type >> 7) & 0x2));
        Method = (ushort)((type & 0x000F) | ((type >> 1) & 0x0070) | ((type >> 2) & 0x0F80));
        TransactionId = StunTransactionId.Read(raw.AsSpan(8));
    }

    public StunClass Class { get; }

    public ushort Method { get; }

    public StunTransactionId TransactionId { get; }

    /// <summary>The whole message as received.</summary>
    public ReadOnlyMemory<byte> Raw => _raw;

    public IReadOnlyList<StunAttribute> Attributes => _attributes;

    /// <summary>Cheap first check (RFC 7983 range, top bits, magic cookie, length) without parsing attributes.</summary>
    public static bool LooksLikeStun(ReadOnlySpan<byte> datagram) =>
        datagram.Length >= HeaderLength
        && (datagram[0] & 0xC0) == 0
        && BinaryPrimitives.ReadUInt32BigEndian(datagram[4..]) == StunAddressCodec.MagicCookie
        && BinaryPrimitives.ReadUInt16BigEndian(datagram[2..]) + HeaderLength == datagram.Length
        && (datagram.Length & 3) == 0;

    /// <summary>Parses a datagram (copied). False for anything malformed; never throws.</summary>
    public static bool TryRead(ReadOnlySpan<byte> datagram, [NotNullWhen(true)] out StunMessage? message)
    {
        message = null;
        if (!LooksLikeStun(datagram))
        {
            return false;
        }

        int count = 0;
        int offset = HeaderLength;
        while (offset < datagram.Length)
        {
            if (datagram.Length - offset < 4)
            {
                return false;
            }

            int length = BinaryPrimitives.ReadUInt16BigEndian(datagram[(offset + 2)..]);
            int padded = (length + 3) & ~3;
            if (padded > datagram.Length - offset - 4)
            {
                return false;
            }

            offset += 4 + padded;
            count++;
        }

        var attributes = new StunAttribute[count];
        offset = HeaderLength;
        for (int i = 0; i < count; i++)
        {
            ushort type = BinaryPrimitives.ReadUInt16BigEndian(datagram[offset..]);
            int length = BinaryPrimitives.ReadUInt16BigEndian(datagram[(offset + 2)..]);
            attributes[i] = new StunAttribute(type, offset + 4, length);
            offset += 4 + ((length + 3) & ~3);
        }

        message = new StunMessage(datagram.ToArray(), attributes);
        return true;
    }

    public ReadOnlySpan<byte> GetValue(StunAttribute attribute) => _raw.AsSpan(attribute.ValueOffset, attribute.ValueLength);

    public bool HasAttribute(ushort type) => IndexOf(type) >= 0;

    /// <summary>The first attribute of <paramref name="type"/> (RFC 8489 §14: later duplicates are ignored).</summary>
    public bool TryGetAttribute(ushort type, out ReadOnlySpan<byte> value)
    {
        int i = IndexOf(type);
        value = i >= 0 ? GetValue(_attributes[i]) : default;
        return i >= 0;
    }

    public bool TryGetUsername([NotNullWhen(true)] out string? username) => TryGetString(StunAttributeType.Username, out username);

    public bool TryGetSoftware([NotNullWhen(true)] out string? software) => TryGetString(StunAttributeType.Software, out software);

    public bool TryGetString(ushort type, [NotNullWhen(true)] out string? text)
    {
        text = null;
        if (!TryGetAttribute(type, out ReadOnlySpan<byte> value))
        {
            return false;
        }

        try
        {
            text = new UTF8Encoding(false, true).GetString(value);
            return true;
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
    }

    public bool TryGetUInt32(ushort type, out uint result)
    {
        result = 0;
        if (!TryGetAttribute(type, out ReadOnlySpan<byte> value) || value.Length != 4)
        {
            return false;
        }

        result = BinaryPrimitives.ReadUInt32BigEndian(value);
        return true;
    }

    public bool TryGetUInt64(ushort type, out ulong result)
    {
        result = 0;
        if (!TryGetAttribute(type, out ReadOnlySpan<byte> value) || value.Length != 8)
        {
            return false;
        }

        result = BinaryPrimitives.ReadUInt64BigEndian(value);
        return true;
    }

    /// <summary>PRIORITY (RFC 8445 §7.1.1).</summary>
    public bool TryGetPriority(out uint priority) => TryGetUInt32(StunAttributeType.Priority, out priority);

    /// <summary>XOR-MAPPED-ADDRESS, un-XORed.</summary>
    public bool TryGetXorMappedAddress([NotNullWhen(true)] out IPEndPoint? endPoint)
    {
        endPoint = null;
        if (!TryGetAttribute(StunAttributeType.XorMappedAddress, out ReadOnlySpan<byte> value))
        {
            return false;
        }

        Span<byte> key = stackalloc byte[16];
        _raw.AsSpan(4, 16).CopyTo(key);
        return StunAddressCodec.TryRead(value, key, out endPoint);
    }

    /// <summary>A plain address attribute: MAPPED-ADDRESS, OTHER-ADDRESS, RESPONSE-ORIGIN, ALTERNATE-SERVER.</summary>
    public bool TryGetAddress(ushort type, [NotNullWhen(true)] out IPEndPoint? endPoint)
    {
        endPoint = null;
        return TryGetAttribute(type, out ReadOnlySpan<byte> value) && StunAddressCodec.TryRead(value, default, out endPoint);
    }

    /// <summary>XOR-MAPPED-ADDRESS, falling back to MAPPED-ADDRESS for old servers (RFC 8489 §14.1).</summary>
    public bool TryGetMappedAddress([NotNullWhen(true)] out IPEndPoint? endPoint) =>
        TryGetXorMappedAddress(out endPoint) || TryGetAddress(StunAttributeType.MappedAddress, out endPoint);

    /// <summary>ERROR-CODE (RFC 8489 §14.8): class*100 + number, and the reason phrase.</summary>
    public bool TryGetErrorCode(out int code, out string reason)
    {
        code = 0;
        reason = string.Empty;
        if (!TryGetAttribute(StunAttributeType.ErrorCode, out ReadOnlySpan<byte> value) || value.Length < 4)
        {
            return false;
        }

        int errorClass = value[2] & 0x7;
        int number = value[3];
        if (errorClass is < 3 or > 6 || number > 99)
        {
            return false;
        }

        code = (errorClass * 100) + number;
        reason = Encoding.UTF8.GetString(value[4..]);
        return true;
    }

    /// <summary>CHANGE-REQUEST flags (RFC 5780 §7.2): change IP (0x4), change port (0x2).</summary>
    public bool TryGetChangeRequest(out bool changeIp, out bool changePort)
    {
        changeIp = changePort = false;
        if (!TryGetUInt32(StunAttributeType.ChangeRequest, out uint flags))
        {
            return false;
        }

        changeIp = (flags & 0x4) != 0;
        changePort = (flags & 0x2) != 0;
        return true;
    }

    /// <summary>UNKNOWN-ATTRIBUTES values (RFC 8489 §14.9).</summary>
    public IReadOnlyList<ushort> GetUnknownAttributesList()
    {
        if (!TryGetAttribute(StunAttributeType.UnknownAttributes, out ReadOnlySpan<byte> value))
        {
            return [];
        }

        var list = new List<ushort>(value.Length / 2);
        for (int i = 0; i + 1 < value.Length; i += 2)
        {
            list.Add(BinaryPrimitives.ReadUInt16BigEndian(value[i..]));
        }

        return list;
    }

    /// <summary>Comprehension-required attributes this codec does not know (a request carrying any gets 420).</summary>
    public List<ushort> GetUnknownComprehensionRequired()
    {
        var unknown = new List<ushort>();
        foreach (StunAttribute a in _attributes)
        {
            if (StunAttributeType.IsComprehensionRequired(a.Type) && !StunAttributeType.IsKnownRequired(a.Type) && !unknown.Contains(a.Type))
            {
                unknown.Add(a.Type);
            }
        }

        return unknown;
    }

    /// <summary>True when the message ends with a FINGERPRINT that matches (RFC 8489 §14.7: it must be last).</summary>
    public bool HasValidFingerprint()
    {
        if (_attributes.Length == 0)
        {
            return false;
        }

        StunAttribute last = _attributes[^1];
        if (last.Type != StunAttributeType.Fingerprint || last.ValueLength != 4)
        {
            return false;
        }

        uint expected = StunIntegrity.Fingerprint(_raw.AsSpan(0, last.HeaderOffset));
        return BinaryPrimitives.ReadUInt32BigEndian(GetValue(last)) == expected;
    }

    /// <summary>Checks MESSAGE-INTEGRITY (HMAC-SHA1) with <paramref name="key"/>, in constant time.</summary>
    public bool VerifyMessageIntegrity(ReadOnlySpan<byte> key)
    {
        int i = IndexOf(StunAttributeType.MessageIntegrity);
        if (i < 0 || _attributes[i].ValueLength != StunIntegrity.Sha1Length)
        {
            return false;
        }

        Span<byte> mac = stackalloc byte[StunIntegrity.Sha1Length];
        StunIntegrity.HmacSha1(_raw.AsSpan(0, _attributes[i].HeaderOffset), StunIntegrity.Sha1Length, key, mac);
        return CryptographicOperations.FixedTimeEquals(mac, GetValue(_attributes[i]));
    }

    /// <summary>Checks MESSAGE-INTEGRITY-SHA256 (possibly truncated to 16..32 bytes, RFC 8489 §14.6).</summary>
    public bool VerifyMessageIntegritySha256(ReadOnlySpan<byte> key)
    {
        int i = IndexOf(StunAttributeType.MessageIntegritySha256);
        if (i < 0)
        {
            return false;
        }

        int length = _attributes[i].ValueLength;
        if (length is < 16 or > StunIntegrity.Sha256Length || (length & 3) != 0)
        {
            return false;
        }

        Span<byte> mac = stackalloc byte[length];
        StunIntegrity.HmacSha256(_raw.AsSpan(0, _attributes[i].HeaderOffset), length, key, mac);
        return CryptographicOperations.FixedTimeEquals(mac, GetValue(_attributes[i]));
    }

    private int IndexOf(ushort type)
    {
        for (int i = 0; i < _attributes.Length; i++)
        {
            if (_attributes[i].Type == type)
            {
                return i;
            }
        }

        return -1;
    }
}
