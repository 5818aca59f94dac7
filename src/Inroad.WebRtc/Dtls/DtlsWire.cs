using System.Buffers.Binary;

namespace Inroad.WebRtc.Dtls;

/// <summary>A DTLS record header (RFC 6347 §4.1).</summary>
internal readonly record struct DtlsRecordHeader(byte ContentType, ushort Version, ushort Epoch, long SequenceNumber, int Length);

/// <summary>A DTLS handshake message header (RFC 6347 §4.2.2).</summary>
internal readonly record struct HandshakeHeader(byte MessageType, int Length, int MessageSeq, int FragmentOffset, int FragmentLength);

/// <summary>
/// Reads DTLS 1.2 plaintext framing: records, handshake headers, and the hello messages a censor sees.
/// Never throws on network input; every reader returns false on anything malformed.
/// </summary>
internal static class DtlsWire
{
    public const int RecordHeaderLength = 13;
    public const int HandshakeHeaderLength = 12;
    public const byte ContentChangeCipherSpec = 20;
    public const byte ContentAlert = 21;
    public const byte ContentHandshake = 22;
    public const byte ContentApplicationData = 23;
    public const byte ClientHelloType = 1;
    public const byte ServerHelloType = 2;

    /// <summary>Reads the record at the start of <paramref name="datagram"/>.</summary>
    public static bool TryReadRecord(ReadOnlySpan<byte> datagram, out DtlsRecordHeader header, out int consumed)
    {
        header = default;
        consumed = 0;
        if (datagram.Length < RecordHeaderLength)
        {
            return false;
        }

        byte type = datagram[0];
        ushort version = BinaryPrimitives.ReadUInt16BigEndian(datagram[1..]);
        if (type is < ContentChangeCipherSpec or > ContentApplicationData || (version >> 8) != 0xfe)
        {
            return false;
        }

        ushort epoch = BinaryPrimitives.ReadUInt16BigEndian(datagram[3..]);
        long seq = (long)BinaryPrimitives.ReadUInt16BigEndian(datagram[5..]) << 32 | BinaryPrimitives.ReadUInt32BigEndian(datagram[7..]);
        int length = BinaryPrimitives.ReadUInt16BigEndian(datagram[11..]);
        if (RecordHeaderLength + length > datagram.Length)
        {
            return false;
        }

        header = new DtlsRecordHeader(type, version, epoch, seq, length);
        consumed = RecordHeaderLength + length;
        return true;
    }

    public static bool TryReadHandshakeHeader(ReadOnlySpan<byte> fragment, out HandshakeHeader header)
    {
        header = default;
        if (fragment.Length < HandshakeHeaderLength)
        {
            return false;
        }

        int length = ReadUInt24(fragment[1..]);
        int offset = ReadUInt24(fragment[6..]);
        int fragmentLength = ReadUInt24(fragment[9..]);
        if (offset + fragmentLength > length || HandshakeHeaderLength + fragmentLength > fragment.Length)
        {
            return false;
        }

        header = new HandshakeHeader(fragment[0], length, BinaryPrimitives.ReadUInt16BigEndian(fragment[4..]), offset, fragmentLength);
        return true;
    }

    /// <summary>
    /// Whether <paramref name="datagram"/> opens with a plausible first ClientHello: an epoch-0 handshake record
    /// carrying fragment 0 of message 0, a ClientHello. Used to stay silent to anything else before a handshake.
    /// </summary>
    public static bool StartsWithClientHello(ReadOnlySpan<byte> datagram)
    {
        if (!TryReadRecord(datagram, out var record, out _) || record.ContentType != ContentHandshake || record.Epoch != 0)
        {
            return false;
        }

        return TryReadHandshakeHeader(datagram.Slice(RecordHeaderLength, record.Length), out var hs)
            && hs.MessageType == ClientHelloType && hs.MessageSeq == 0 && hs.FragmentOffset == 0
            && hs.Length >= 38 && hs.FragmentLength >= 2
            && (BinaryPrimitives.ReadUInt16BigEndian(datagram[(RecordHeaderLength + HandshakeHeaderLength)..]) >> 8) == 0xfe;
    }

    /// <summary>Splits the handshake messages of the given type out of a set of datagrams and reassembles the first complete one.</summary>
    public static byte[]? ReassembleHandshake(IEnumerable<byte[]> datagrams, byte messageType)
    {
        byte[]? body = null;
        bool[]? have = null;
        foreach (byte[] datagram in datagrams)
        {
            var span = datagram.AsSpan();
            while (TryReadRecord(span, out var record, out int consumed))
            {
                var fragment = span.Slice(RecordHeaderLength, record.Length);
                span = span[consumed..];
                if (record.ContentType != ContentHandshake || record.Epoch != 0 || !TryReadHandshakeHeader(fragment, out var hs) || hs.MessageType != messageType)
                {
                    continue;
                }

                body ??= new byte[hs.Length];
                have ??= new bool[hs.Length];
                if (hs.Length != body.Length)
                {
                    continue;
                }

                fragment.Slice(HandshakeHeaderLength, hs.FragmentLength).CopyTo(body.AsSpan(hs.FragmentOffset));
                have.AsSpan(hs.FragmentOffset, hs.FragmentLength).Fill(true);
                if (!have.Contains(false))
                {
                    return body;
                }
            }
        }

        return null;
    }

    /// <summary>Re-emits the extension blocks of a ClientHello body in <paramref name="order"/> (types not listed keep their place at the end).</summary>
    public static byte[] ReorderClientHelloExtensions(byte[] body, IReadOnlyList<int> order)
    {
        if (!ClientHelloInfo.TryRead(body, out var hello, out int extensionsStart))
        {
            return body;
        }

        var ordered = hello.Extensions.OrderBy(e =>
        {
            int i = IndexOf(order, e.Type);
            return i < 0 ? int.MaxValue : i;
        }).ToList();
        var output = new byte[body.Length];
        body.AsSpan(0, extensionsStart + 2).CopyTo(output);
        int at = extensionsStart + 2;
        foreach (var e in ordered)
        {
            BinaryPrimitives.WriteUInt16BigEndian(output.AsSpan(at), (ushort)e.Type);
            BinaryPrimitives.WriteUInt16BigEndian(output.AsSpan(at + 2), (ushort)e.Data.Length);
            e.Data.CopyTo(output, at + 4);
            at += 4 + e.Data.Length;
        }

        return output;
    }

    /// <summary>The extension blocks after the given offset: type, body.</summary>
    public static bool TryReadExtensions(ReadOnlySpan<byte> block, List<HelloExtension> extensions)
    {
        while (block.Length > 0)
        {
            if (block.Length < 4)
            {
                return false;
            }

            int type = BinaryPrimitives.ReadUInt16BigEndian(block);
            int length = BinaryPrimitives.ReadUInt16BigEndian(block[2..]);
            if (4 + length > block.Length)
            {
                return false;
            }

            extensions.Add(new HelloExtension(type, block.Slice(4, length).ToArray()));
            block = block[(4 + length)..];
        }

        return true;
    }

    public static int ReadUInt24(ReadOnlySpan<byte> s) => s[0] << 16 | s[1] << 8 | s[2];

    private static int IndexOf(IReadOnlyList<int> list, int value)
    {
        for (int i = 0; i < list.Count; i++)
        {
            if (list[i] == value)
            {
                return i;
            }
        }

        return -1;
    }
}
