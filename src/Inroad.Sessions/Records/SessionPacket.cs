using Inroad.Sessions.Keys;

namespace Inroad.Sessions.Records;

/// <summary>
/// Record type 1 (design §3.3): <c>{1: SessionID, 2: Nonce, 3: Payload, 4: ResetSessionToken}</c>. Handshake
/// messages carry nonce 0; transport messages carry their Noise nonce so they may arrive out of order. A view
/// over the received bytes; reading never allocates or throws.
/// </summary>
internal readonly ref struct SessionPacket
{
    public SessionPacket(Id32 sessionId, ulong nonce, ReadOnlySpan<byte> payload, ReadOnlySpan<byte> resetToken)
    {
        SessionId = sessionId;
        Nonce = nonce;
        Payload = payload;
        ResetToken = resetToken;
    }

    public Id32 SessionId { get; }

    public ulong Nonce { get; }

    public ReadOnlySpan<byte> Payload { get; }

    public ReadOnlySpan<byte> ResetToken { get; }

    /// <summary>Record length for a payload and token of these lengths.</summary>
    public static int EncodedLength(ulong nonce, int payloadLength, int tokenLength)
    {
        int cbor = CborLength(nonce, payloadLength, tokenLength);
        return RecordFraming.HeaderLength(cbor) + cbor;
    }

    public int WriteRecord(Span<byte> destination)
    {
        int cbor = CborLength(Nonce, Payload.Length, ResetToken.Length);
        int at = RecordFraming.WriteHeader(destination, RecordType.SessionPacket, cbor);
        int fields = 1 + (Nonce != 0 ? 1 : 0) + (Payload.IsEmpty ? 0 : 1) + (ResetToken.IsEmpty ? 0 : 1);
        SpanCbor.WriteHead(destination, ref at, SpanCbor.MajorMap, (ulong)fields);
        SpanCbor.WriteHead(destination, ref at, SpanCbor.MajorUInt, 1);
        Span<byte> id = stackalloc byte[Id32.Length];
        SessionId.CopyTo(id);
        SpanCbor.WriteBytes(destination, ref at, id);
        if (Nonce != 0)
        {
            SpanCbor.WriteHead(destination, ref at, SpanCbor.MajorUInt, 2);
            SpanCbor.WriteHead(destination, ref at, SpanCbor.MajorUInt, Nonce);
        }

        if (!Payload.IsEmpty)
        {
            SpanCbor.WriteHead(destination, ref at, SpanCbor.MajorUInt, 3);
            SpanCbor.WriteBytes(destination, ref at, Payload);
        }

        if (!ResetToken.IsEmpty)
        {
            SpanCbor.WriteHead(destination, ref at, SpanCbor.MajorUInt, 4);
            SpanCbor.WriteBytes(destination, ref at, ResetToken);
        }

        return at;
    }

    /// <summary>Parses a whole record; false for anything but a canonical SessionPacket with known keys.</summary>
    public static bool TryRead(ReadOnlySpan<byte> record, out SessionPacket packet)
    {
        packet = default;
        if (!RecordFraming.TryRead(record, out RecordType type, out ReadOnlySpan<byte> cbor) || type != RecordType.SessionPacket)
        {
            return false;
        }

        int at = 0;
        if (!SpanCbor.TryReadHead(cbor, ref at, out byte major, out ulong count) || major != SpanCbor.MajorMap || count is 0 or > 4)
        {
            return false;
        }

        ulong lastKey = 0;
        Id32 sessionId = default;
        bool hasId = false;
        ulong nonce = 0;
        ReadOnlySpan<byte> payload = default, token = default;
        for (ulong i = 0; i < count; i++)
        {
            if (!SpanCbor.TryReadHead(cbor, ref at, out major, out ulong key) || major != SpanCbor.MajorUInt || key <= lastKey)
            {
                return false;
            }

            lastKey = key;
            switch (key)
            {
                case 1:
                    if (!SpanCbor.TryReadBytes(cbor, ref at, out ReadOnlySpan<byte> id) || id.Length != Id32.Length)
                    {
                        return false;
                    }

                    sessionId = new Id32(id);
                    hasId = true;
                    break;
                case 2:
                    if (!SpanCbor.TryReadHead(cbor, ref at, out major, out nonce) || major != SpanCbor.MajorUInt)
                    {
                        return false;
                    }

                    break;
                case 3:
                    if (!SpanCbor.TryReadBytes(cbor, ref at, out payload))
                    {
                        return false;
                    }

                    break;
                case 4:
                    if (!SpanCbor.TryReadBytes(cbor, ref at, out token))
                    {
                        return false;
                    }

                    break;
                default:
                    return false;
            }
        }

        if (!hasId || at != cbor.Length)
        {
            return false;
        }

        packet = new SessionPacket(sessionId, nonce, payload, token);
        return true;
    }

    private static int CborLength(ulong nonce, int payloadLength, int tokenLength) =>
        1 + SpanCbor.BytesFieldLength(Id32.Length)
        + (nonce != 0 ? 1 + SpanCbor.HeadLength(nonce) : 0)
        + (payloadLength > 0 ? SpanCbor.BytesFieldLength(payloadLength) : 0)
        + (tokenLength > 0 ? SpanCbor.BytesFieldLength(tokenLength) : 0);
}
