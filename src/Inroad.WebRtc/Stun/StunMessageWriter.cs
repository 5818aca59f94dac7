using System.Buffers.Binary;
using System.Net;
using System.Text;

namespace Inroad.WebRtc.Stun;

/// <summary>
/// Writes one STUN message into a caller-owned buffer, attribute by attribute, in the order the caller adds them
/// (the order is part of a browser's fingerprint). Padding is zero (Chromium and Firefox pad with zeros).
/// Running out of room sets <see cref="Overflowed"/>; <see cref="TryComplete"/> then returns false.
/// </summary>
internal ref struct StunMessageWriter
{
    private readonly Span<byte> _buffer;
    private int _position;
    private bool _overflowed;

    public StunMessageWriter(Span<byte> buffer, StunClass messageClass, ushort method, StunTransactionId transactionId)
    {
        _buffer = buffer;
        if (buffer.Length < StunMessage.HeaderLength)
        {
            _overflowed = true;
            return;
        }

        int c = (int)messageClass;
        int type = (method & 0x000F) | ((method & 0x0070) << 1) | ((method & 0x0F80) << 2) | ((c & 1) << 4) | ((c & 2) << 7);
        BinaryPrimitives.WriteUInt16BigEndian(buffer, (ushort)type);
        BinaryPrimitives.WriteUInt16BigEndian(buffer[2..], 0);
        BinaryPrimitives.WriteUInt32BigEndian(buffer[4..], StunAddressCodec.MagicCookie);
        transactionId.Write(buffer[8..]);
        _position = StunMessage.HeaderLength;
    }

    public readonly bool Overflowed => _overflowed;

    /// <summary>Bytes written so far (header included).</summary>
    public readonly int Length => _position;

    public void AddBytes(ushort type, ReadOnlySpan<byte> value)
    {
        Span<byte> v = Begin(type, value.Length);
        if (!_overflowed)
        {
            value.CopyTo(v);
        }
    }

    public void AddEmpty(ushort type) => Begin(type, 0);

    public void AddString(ushort type, string value)
    {
        int length = Encoding.UTF8.GetByteCount(value);
        Span<byte> v = Begin(type, length);
        if (!_overflowed)
        {
            Encoding.UTF8.GetBytes(value, v);
        }
    }

    public void AddUInt32(ushort type, uint value)
    {
        Span<byte> v = Begin(type, 4);
        if (!_overflowed)
        {
            BinaryPrimitives.WriteUInt32BigEndian(v, value);
        }
    }

    public void AddUInt64(ushort type, ulong value)
    {
        Span<byte> v = Begin(type, 8);
        if (!_overflowed)
        {
            BinaryPrimitives.WriteUInt64BigEndian(v, value);
        }
    }

    /// <summary>MAPPED-ADDRESS, OTHER-ADDRESS, RESPONSE-ORIGIN (plain).</summary>
    public void AddAddress(ushort type, IPEndPoint endPoint)
    {
        Span<byte> v = Begin(type, StunAddressCodec.ValueLength(endPoint));
        if (!_overflowed)
        {
            StunAddressCodec.Write(v, endPoint, default);
        }
    }

    public void AddXorMappedAddress(IPEndPoint endPoint)
    {
        Span<byte> v = Begin(StunAttributeType.XorMappedAddress, StunAddressCodec.ValueLength(endPoint));
        if (!_overflowed)
        {
            StunAddressCodec.Write(v, endPoint, _buffer.Slice(4, 16));
        }
    }

    /// <summary>ERROR-CODE (RFC 8489 §14.8).</summary>
    public void AddErrorCode(int code, string reason)
    {
        int length = 4 + Encoding.UTF8.GetByteCount(reason);
        Span<byte> v = Begin(StunAttributeType.ErrorCode, length);
        if (!_overflowed)
        {
            v[0] = 0;
            v[1] = 0;
            v[2] = (byte)(code / 100);
            v[3] = (byte)(code % 100);
            Encoding.UTF8.GetBytes(reason, v[4..]);
        }
    }

    public void AddUnknownAttributes(ReadOnlySpan<ushort> types)
    {
        Span<byte> v = Begin(StunAttributeType.UnknownAttributes, types.Length * 2);
        if (!_overflowed)
        {
            for (int i = 0; i < types.Length; i++)
            {
                BinaryPrimitives.WriteUInt16BigEndian(v[(i * 2)..], types[i]);
            }
        }
    }

    /// <summary>CHANGE-REQUEST (RFC 5780 §7.2).</summary>
    public void AddChangeRequest(bool changeIp, bool changePort) =>
        AddUInt32(StunAttributeType.ChangeRequest, (changeIp ? 4u : 0u) | (changePort ? 2u : 0u));

    /// <summary>GOOG-NETWORK-INFO as Chromium sends it: network id (16 bits), network cost (16 bits).</summary>
    public void AddGoogNetworkInfo(ushort networkId, ushort networkCost) =>
        AddUInt32(StunAttributeType.GoogNetworkInfo, ((uint)networkId << 16) | networkCost);

    /// <summary>MESSAGE-INTEGRITY over everything written so far (RFC 8489 §14.5).</summary>
    public void AddMessageIntegrity(ReadOnlySpan<byte> key)
    {
        int prefix = _position;
        Span<byte> v = Begin(StunAttributeType.MessageIntegrity, StunIntegrity.Sha1Length);
        if (!_overflowed)
        {
            StunIntegrity.HmacSha1(_buffer[..prefix], StunIntegrity.Sha1Length, key, v);
        }
    }

    /// <summary>MESSAGE-INTEGRITY-SHA256, full 32 bytes (RFC 8489 §14.6).</summary>
    public void AddMessageIntegritySha256(ReadOnlySpan<byte> key)
    {
        int prefix = _position;
        Span<byte> v = Begin(StunAttributeType.MessageIntegritySha256, StunIntegrity.Sha256Length);
        if (!_overflowed)
        {
            StunIntegrity.HmacSha256(_buffer[..prefix], StunIntegrity.Sha256Length, key, v);
        }
    }

    /// <summary>FINGERPRINT, which must be the last attribute (RFC 8489 §14.7).</summary>
    public void AddFingerprint()
    {
        int prefix = _position;
        Span<byte> v = Begin(StunAttributeType.Fingerprint, 4);
        if (!_overflowed)
        {
            BinaryPrimitives.WriteUInt32BigEndian(v, StunIntegrity.Fingerprint(_buffer[..prefix]));
        }
    }

    public readonly bool TryComplete(out int written)
    {
        written = _overflowed ? 0 : _position;
        return !_overflowed;
    }

    private Span<byte> Begin(ushort type, int length)
    {
        int padded = (length + 3) & ~3;
        if (_overflowed || length > ushort.MaxValue || _buffer.Length - _position < 4 + padded)
        {
            _overflowed = true;
            return default;
        }

        Span<byte> header = _buffer[_position..];
        BinaryPrimitives.WriteUInt16BigEndian(header, type);
        BinaryPrimitives.WriteUInt16BigEndian(header[2..], (ushort)length);
        header.Slice(4 + length, padded - length).Clear();
        _position += 4 + padded;
        BinaryPrimitives.WriteUInt16BigEndian(_buffer[2..], (ushort)(_position - StunMessage.HeaderLength));
        return header.Slice(4, length);
    }
}
