using System.Buffers.Binary;

namespace Inroad.WebRtc.Sctp;

/// <summary>
/// Writes one SCTP packet into a caller-owned buffer: common header, then chunks, each padded to 4
/// bytes. Every Write method returns false and writes nothing if the chunk does not fit.
/// </summary>
internal ref struct SctpPacketWriter
{
    private readonly Span<byte> _buffer;

    public SctpPacketWriter(Span<byte> buffer, ushort sourcePort, ushort destinationPort, uint verificationTag)
    {
        _buffer = buffer;
        BinaryPrimitives.WriteUInt16BigEndian(buffer, sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(buffer[2..], destinationPort);
        BinaryPrimitives.WriteUInt32BigEndian(buffer[4..], verificationTag);
        BinaryPrimitives.WriteUInt32BigEndian(buffer[8..], 0);
        Length = SctpPacket.CommonHeaderLength;
        ChunkCount = 0;
    }

    public int Length { get; private set; }

    public int ChunkCount { get; private set; }

    public readonly int Remaining => _buffer.Length - Length;

    /// <summary>Starts a chunk whose value is <paramref name="valueLength"/> bytes and returns the value span.</summary>
    public bool TryBeginChunk(SctpChunkType type, byte flags, int valueLength, out Span<byte> value)
    {
        int total = SctpPacket.ChunkHeaderLength + valueLength;
        if (SctpPacket.Pad4(total) > Remaining || total > ushort.MaxValue)
        {
            value = default;
            return false;
        }

        Span<byte> chunk = _buffer.Slice(Length, SctpPacket.Pad4(total));
        chunk[0] = (byte)type;
        chunk[1] = flags;
        BinaryPrimitives.WriteUInt16BigEndian(chunk[2..], (ushort)total);
        chunk[total..].Clear();
        value = chunk.Slice(SctpPacket.ChunkHeaderLength, valueLength);
        Length += chunk.Length;
        ChunkCount++;
        return true;
    }

    public bool TryWriteData(uint tsn, ushort stream, ushort ssn, uint ppid, byte flags, ReadOnlySpan<byte> data)
    {
        if (!TryBeginChunk(SctpChunkType.Data, flags, SctpPacket.DataHeaderLength - SctpPacket.ChunkHeaderLength + data.Length, out Span<byte> v))
        {
            return false;
        }

        BinaryPrimitives.WriteUInt32BigEndian(v, tsn);
        BinaryPrimitives.WriteUInt16BigEndian(v[4..], stream);
        BinaryPrimitives.WriteUInt16BigEndian(v[6..], ssn);
        BinaryPrimitives.WriteUInt32BigEndian(v[8..], ppid);
        data.CopyTo(v[12..]);
        return true;
    }

    /// <summary>Finishes the packet: CRC-32C, or zero when RFC 9653 zero checksum was agreed.</summary>
    public readonly Span<byte> Finish(bool zeroChecksum)
    {
        Span<byte> packet = _buffer[..Length];
        if (!zeroChecksum)
        {
            SctpCrc32c.Seal(packet);
        }

        return packet;
    }
}
