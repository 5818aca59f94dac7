using Inroad.Sessions.Keys;

namespace Inroad.Sessions.Records;

/// <summary>
/// Record type 2 (design §3.3), the Noise plaintext: <c>{1: RoundTripID, 2: Payload}</c>. The response echoes the
/// request's round-trip ID, which catches mis-routing in a multiplexed transport.
/// </summary>
internal readonly ref struct SessionRoundTrip
{
    public SessionRoundTrip(Id32 roundTripId, ReadOnlySpan<byte> payload)
    {
        RoundTripId = roundTripId;
        Payload = payload;
    }

    public Id32 RoundTripId { get; }

    public ReadOnlySpan<byte> Payload { get; }

    public static int EncodedLength(int payloadLength)
    {
        int cbor = CborLength(payloadLength);
        return RecordFraming.HeaderLength(cbor) + cbor;
    }

    public int WriteRecord(Span<byte> destination)
    {
        int cbor = CborLength(Payload.Length);
        int at = RecordFraming.WriteHeader(destination, RecordType.SessionRoundTrip, cbor);
        SpanCbor.WriteHead(destination, ref at, SpanCbor.MajorMap, Payload.IsEmpty ? 1u : 2u);
        SpanCbor.WriteHead(destination, ref at, SpanCbor.MajorUInt, 1);
        Span<byte> id = stackalloc byte[Id32.Length];
        RoundTripId.CopyTo(id);
        SpanCbor.WriteBytes(destination, ref at, id);
        if (!Payload.IsEmpty)
        {
            SpanCbor.WriteHead(destination, ref at, SpanCbor.MajorUInt, 2);
            SpanCbor.WriteBytes(destination, ref at, Payload);
        }

        return at;
    }

    public static bool TryRead(ReadOnlySpan<byte> record, out SessionRoundTrip roundTrip)
    {
        roundTrip = default;
        if (!RecordFraming.TryRead(record, out RecordType type, out ReadOnlySpan<byte> cbor) || type != RecordType.SessionRoundTrip)
        {
            return false;
        }

        int at = 0;
        if (!SpanCbor.TryReadHead(cbor, ref at, out byte major, out ulong count) || major != SpanCbor.MajorMap || count is 0 or > 2)
        {
            return false;
        }

        if (!SpanCbor.TryReadHead(cbor, ref at, out major, out ulong key) || major != SpanCbor.MajorUInt || key != 1 ||
            !SpanCbor.TryReadBytes(cbor, ref at, out ReadOnlySpan<byte> id) || id.Length != Id32.Length)
        {
            return false;
        }

        ReadOnlySpan<byte> payload = default;
        if (count == 2 &&
            (!SpanCbor.TryReadHead(cbor, ref at, out major, out key) || major != SpanCbor.MajorUInt || key != 2 ||
             !SpanCbor.TryReadBytes(cbor, ref at, out payload)))
        {
            return false;
        }

        if (at != cbor.Length)
        {
            return false;
        }

        roundTrip = new SessionRoundTrip(new Id32(id), payload);
        return true;
    }

    private static int CborLength(int payloadLength) =>
        1 + SpanCbor.BytesFieldLength(Id32.Length) + (payloadLength > 0 ? SpanCbor.BytesFieldLength(payloadLength) : 0);
}
