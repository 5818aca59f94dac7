using System.Buffers.Binary;

namespace Inroad.WebRtc.Sctp;

/// <summary>
/// The SCTP common header and chunk framing (RFC 9260 §3). Readers never throw on network input: a
/// packet whose framing or any known chunk body is malformed is rejected as a whole.
/// </summary>
internal static class SctpPacket
{
    public const int CommonHeaderLength = 12;
    public const int ChunkHeaderLength = 4;
    public const int DataHeaderLength = 16;

    // Parameter types (RFC 9260 §3.3.2, RFC 3758, RFC 5061, RFC 6525, RFC 9653).
    public const ushort ParamHeartbeatInfo = 1;
    public const ushort ParamStateCookie = 7;
    public const ushort ParamUnrecognized = 8;
    public const ushort ParamOutgoingResetRequest = 13;
    public const ushort ParamIncomingResetRequest = 14;
    public const ushort ParamReconfigResponse = 16;
    public const ushort ParamZeroChecksum = 0x8001;
    public const ushort ParamSupportedExtensions = 0x8008;
    public const ushort ParamForwardTsnSupported = 0xC000;

    /// <summary>Error detection method of RFC 9653 for SCTP over DTLS.</summary>
    public const uint ZeroChecksumEdmidDtls = 1;

    public static bool TryReadHeader(ReadOnlySpan<byte> packet, out ushort sourcePort, out ushort destinationPort, out uint verificationTag)
    {
        if (packet.Length < CommonHeaderLength)
        {
            sourcePort = destinationPort = 0;
            verificationTag = 0;
            return false;
        }

        sourcePort = BinaryPrimitives.ReadUInt16BigEndian(packet);
        destinationPort = BinaryPrimitives.ReadUInt16BigEndian(packet[2..]);
        verificationTag = BinaryPrimitives.ReadUInt32BigEndian(packet[4..]);
        return true;
    }

    /// <summary>
    /// Checks the framing of every chunk and the fixed part of every chunk type this stack reads. Unknown
    /// chunk types are framing-checked only (their handling follows the upper bits of the type, §3.2).
    /// </summary>
    public static bool IsWellFormed(ReadOnlySpan<byte> packet)
    {
        if (packet.Length < CommonHeaderLength)
        {
            return false;
        }

        var reader = new SctpChunkReader(packet[CommonHeaderLength..]);
        while (reader.TryRead(out SctpChunk chunk))
        {
            if (!IsChunkBodyValid(chunk))
            {
                return false;
            }
        }

        return !reader.Malformed;
    }

    public static bool IsChunkBodyValid(in SctpChunk chunk)
    {
        ReadOnlySpan<byte> v = chunk.Value;
        switch ((SctpChunkType)chunk.Type)
        {
            case SctpChunkType.Data:
                return v.Length > DataHeaderLength - ChunkHeaderLength;
            case SctpChunkType.Init:
            case SctpChunkType.InitAck:
                return v.Length >= 16 && AreParametersWellFormed(v[16..])
                    && BinaryPrimitives.ReadUInt32BigEndian(v) != 0
                    && BinaryPrimitives.ReadUInt16BigEndian(v[8..]) != 0
                    && BinaryPrimitives.ReadUInt16BigEndian(v[10..]) != 0;
            case SctpChunkType.Sack:
                if (v.Length < 12)
                {
                    return false;
                }

                int gaps = BinaryPrimitives.ReadUInt16BigEndian(v[8..]);
                int dups = BinaryPrimitives.ReadUInt16BigEndian(v[10..]);
                return v.Length >= 12 + (4 * gaps) + (4 * dups);
            case SctpChunkType.Heartbeat:
            case SctpChunkType.HeartbeatAck:
            case SctpChunkType.ReConfig:
                return v.Length >= 4 && AreParametersWellFormed(v);
            case SctpChunkType.Shutdown:
                return v.Length == 4;
            case SctpChunkType.ForwardTsn:
                return v.Length >= 4 && (v.Length - 4) % 4 == 0;
            case SctpChunkType.IForwardTsn:
                return v.Length >= 4 && (v.Length - 4) % 8 == 0;
            case SctpChunkType.IData:
                return v.Length > 16;
            default:
                return true;
        }
    }

    public static bool AreParametersWellFormed(ReadOnlySpan<byte> parameters)
    {
        var reader = new SctpParameterReader(parameters);
        while (reader.TryRead(out ushort type, out ReadOnlySpan<byte> value))
        {
            // RFC 6525 §4: fixed parts of the re-configuration parameters.
            int minimum = type switch
            {
                ParamOutgoingResetRequest => 12,
                ParamIncomingResetRequest or 15 => 4,
                ParamReconfigResponse or 17 or 18 => 8,
                _ => 0,
            };
            if (value.Length < minimum)
            {
                return false;
            }
        }

        return !reader.Malformed;
    }

    public static int Pad4(int length) => (length + 3) & ~3;
}

/// <summary>One chunk: type, flags and the value after the 4-byte chunk header (without padding).</summary>
internal readonly ref struct SctpChunk
{
    public SctpChunk(byte type, byte flags, ReadOnlySpan<byte> value)
    {
        Type = type;
        Flags = flags;
        Value = value;
    }

    public byte Type { get; }

    public byte Flags { get; }

    public ReadOnlySpan<byte> Value { get; }
}

/// <summary>Walks the chunks after the common header. Stops and sets <see cref="Malformed"/> on bad framing.</summary>
internal ref struct SctpChunkReader
{
    private ReadOnlySpan<byte> _rest;

    public SctpChunkReader(ReadOnlySpan<byte> chunks)
    {
        _rest = chunks;
        Malformed = false;
    }

    public bool Malformed { get; private set; }

    public bool TryRead(out SctpChunk chunk)
    {
        chunk = default;
        if (_rest.IsEmpty || Malformed)
        {
            return false;
        }

        if (_rest.Length < SctpPacket.ChunkHeaderLength)
        {
            Malformed = true;
            return false;
        }

        int length = BinaryPrimitives.ReadUInt16BigEndian(_rest[2..]);
        if (length < SctpPacket.ChunkHeaderLength || length > _rest.Length)
        {
            Malformed = true;
            return false;
        }

        chunk = new SctpChunk(_rest[0], _rest[1], _rest[SctpPacket.ChunkHeaderLength..length]);
        int padded = SctpPacket.Pad4(length);
        _rest = padded >= _rest.Length ? default : _rest[padded..];
        return true;
    }
}

/// <summary>Walks TLV parameters (RFC 9260 §3.2.1); sets <see cref="Malformed"/> on bad framing.</summary>
internal ref struct SctpParameterReader
{
    private ReadOnlySpan<byte> _rest;

    public SctpParameterReader(ReadOnlySpan<byte> parameters)
    {
        _rest = parameters;
        Malformed = false;
    }

    public bool Malformed { get; private set; }

    public bool TryRead(out ushort type, out ReadOnlySpan<byte> value)
    {
        type = 0;
        value = default;
        if (_rest.IsEmpty || Malformed)
        {
            return false;
        }

        if (_rest.Length < 4)
        {
            Malformed = true;
            return false;
        }

        type = BinaryPrimitives.ReadUInt16BigEndian(_rest);
        int length = BinaryPrimitives.ReadUInt16BigEndian(_rest[2..]);
        if (length < 4 || length > _rest.Length)
        {
            Malformed = true;
            return false;
        }

        value = _rest[4..length];
        int padded = SctpPacket.Pad4(length);
        _rest = padded >= _rest.Length ? default : _rest[padded..];
        return true;
    }
}
