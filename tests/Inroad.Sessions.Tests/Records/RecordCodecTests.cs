using System.Formats.Cbor;
using Inroad.Sessions.Keys;
using Inroad.Sessions.Records;

namespace Inroad.Sessions.Tests.Records;

public sealed class RecordCodecTests
{
    private static readonly byte[] IdBytes = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();

    [Theory]
    [InlineData(0UL, 0, 0)]
    [InlineData(1UL, 10, 0)]
    [InlineData(23UL, 0, 96)]
    [InlineData(24UL, 300, 96)]
    [InlineData(70_000UL, 65_000, 0)]
    [InlineData(ulong.MaxValue - 1, 5, 5)]
    public void Span_codec_matches_System_Formats_Cbor_canonical_and_reads_back(ulong nonce, int payloadLength, int tokenLength)
    {
        byte[] payload = Enumerable.Range(0, payloadLength).Select(i => (byte)i).ToArray();
        byte[] token = Enumerable.Range(0, tokenLength).Select(i => (byte)(i * 3)).ToArray();
        var packet = new SessionPacket(new Id32(IdBytes), nonce, payload, token);
        byte[] ours = new byte[SessionPacket.EncodedLength(nonce, payloadLength, tokenLength)];
        Assert.Equal(ours.Length, packet.WriteRecord(ours));

        // Reference: the canonical writer, keys written out of order on purpose, zero values omitted.
        CborWriter w = CborRecords.CreateWriter();
        w.WriteStartMap(null);
        w.WriteField(4, token);
        w.WriteField(3, payload);
        w.WriteField(2, nonce);
        w.WriteFixedField(1, IdBytes);
        w.WriteEndMap();
        Assert.Equal(RecordFraming.Encode(RecordType.SessionPacket, w.Encode()), ours);

        Assert.True(SessionPacket.TryRead(ours, out SessionPacket read));
        Assert.Equal(new Id32(IdBytes), read.SessionId);
        Assert.Equal(nonce, read.Nonce);
        Assert.Equal(payload, read.Payload.ToArray());
        Assert.Equal(token, read.ResetToken.ToArray());
    }

    [Fact]
    public void Round_trip_record_matches_reference_and_reads_back()
    {
        byte[] payload = "hello"u8.ToArray();
        byte[] ours = new byte[SessionRoundTrip.EncodedLength(payload.Length)];
        new SessionRoundTrip(new Id32(IdBytes), payload).WriteRecord(ours);
        CborWriter w = CborRecords.CreateWriter();
        w.WriteStartMap(null);
        w.WriteField(2, payload);
        w.WriteFixedField(1, IdBytes);
        w.WriteEndMap();
        Assert.Equal(RecordFraming.Encode(RecordType.SessionRoundTrip, w.Encode()), ours);
        Assert.True(SessionRoundTrip.TryRead(ours, out SessionRoundTrip rt));
        Assert.Equal(payload, rt.Payload.ToArray());
    }

    public static TheoryData<string, string> Rejected() => new()
    {
        { "empty", "" },
        { "version 2", "0201" + "01" + "a0" },
        { "type 0", "0100" + "01" + "a0" },
        { "type 16 unknown", "0110" + "01" + "a0" },
        { "length short", "0103" + "02" + "a0" },
        { "length long / trailing byte", "0103" + "01" + "a000" },
        { "non-minimal uvarint", "0103" + "8100" + "a0" },
        { "truncated uvarint", "0103" + "81" },
        { "oversize length", "0103" + "808004" },
    };

    [Theory]
    [MemberData(nameof(Rejected))]
    public void Framing_rejects(string why, string hex)
    {
        Assert.False(RecordFraming.TryRead(Convert.FromHexString(hex), out _, out ReadOnlySpan<byte> _), why);
    }

    [Fact]
    public void Framing_accepts_every_known_type_and_peeks_it()
    {
        for (int t = 1; t <= 15; t++)
        {
            byte[] record = RecordFraming.Encode((RecordType)t, [0xa0]);
            Assert.True(RecordFraming.TryRead(record, out RecordType type, out ReadOnlySpan<byte> cbor));
            Assert.Equal((RecordType)t, type);
            Assert.Equal([0xa0], cbor.ToArray());
            Assert.True(RecordFraming.TryPeekType(record, out RecordType peeked));
            Assert.Equal(type, peeked);
        }

        Assert.Throws<SessionException>(() => RecordFraming.Encode(RecordType.ClientOfferRequest, new byte[RecordFraming.MaxCborLength + 1]));
    }

    public static TheoryData<string, string> BadSessionPackets() => new()
    {
        { "no id", "a10201" },
        { "short id", "a1015f" },
        { "unsorted keys", "a20201" + "015820" + new string('1', 64) },
        { "duplicate key", "a2015820" + new string('1', 64) + "015820" + new string('1', 64) },
        { "unknown key 5", "a2015820" + new string('1', 64) + "0501" },
        { "indefinite map", "bf015820" + new string('1', 64) + "ff" },
        { "non-minimal nonce", "a2015820" + new string('1', 64) + "021801" },
        { "nonce as bytes", "a2015820" + new string('1', 64) + "024101" },
        { "truncated payload", "a2015820" + new string('1', 64) + "0345ab" },
    };

    [Theory]
    [MemberData(nameof(BadSessionPackets))]
    public void Session_packet_reader_rejects(string why, string cborHex)
    {
        byte[] record = RecordFraming.Encode(RecordType.SessionPacket, Convert.FromHexString(cborHex));
        Assert.False(SessionPacket.TryRead(record, out _), why);
    }

    [Fact]
    public void Cbor_records_marshal_canonically_and_reject_trailing_bytes_and_wrong_types()
    {
        var message = new SampleRecord { Id = IdBytes, Count = 7, Name = "x", Flag = false };
        byte[] record = CborRecords.Marshal(message);
        Assert.Equal(RecordType.ClientOfferRequest, (RecordType)record[1]);

        // Keys come out sorted; Flag=false is omitted: {1: h'..', 2: 7, 4: "x"}.
        Assert.Equal("a3015820" + Convert.ToHexStringLower(IdBytes) + "0207" + "046178", Convert.ToHexStringLower(record.AsSpan(3)));
        Assert.True(CborRecords.TryUnmarshal(record, out SampleRecord? back));
        Assert.Equal(7, back!.Count);
        Assert.Equal("x", back.Name);

        byte[] trailing = RecordFraming.Encode(RecordType.ClientOfferRequest, [.. record.AsSpan(3), 0x00]);
        Assert.False(CborRecords.TryUnmarshal(trailing, out SampleRecord? _));
        byte[] wrongType = RecordFraming.Encode(RecordType.ClientOfferResponse, record.AsSpan(3));
        Assert.False(CborRecords.TryUnmarshal(wrongType, out SampleRecord? _));
        byte[] unsorted = RecordFraming.Encode(RecordType.ClientOfferRequest, Convert.FromHexString("a202070158" + "20" + Convert.ToHexStringLower(IdBytes)));
        Assert.False(CborRecords.TryUnmarshal(unsorted, out SampleRecord? _));
        byte[] garbage = RecordFraming.Encode(RecordType.ClientOfferRequest, [0xff, 0xff]);
        Assert.False(CborRecords.TryUnmarshal(garbage, out SampleRecord? _));
    }

    [Fact]
    public void Uvarint_and_zigzag_round_trip()
    {
        Span<byte> buffer = stackalloc byte[UVarint.MaxLength];
        foreach (ulong v in new ulong[] { 0, 1, 127, 128, 300, 16_383, 16_384, uint.MaxValue, ulong.MaxValue })
        {
            int n = UVarint.Write(buffer, v);
            Assert.Equal(UVarint.Length(v), n);
            Assert.True(UVarint.TryRead(buffer[..n], out ulong back, out int consumed));
            Assert.Equal((v, n), (back, consumed));
        }

        foreach (long v in new long[] { 0, -1, 1, long.MinValue, long.MaxValue, 1_764_158_400 })
        {
            Assert.Equal(v, UVarint.UnZigZag(UVarint.ZigZag(v)));
        }

        Assert.False(UVarint.TryRead(Convert.FromHexString("ffffffffffffffffff02"), out _, out _));
    }

    /// <summary>A broker-style message used to exercise <see cref="CborRecords"/>.</summary>
    private sealed class SampleRecord : ICborRecord<SampleRecord>
    {
        public static RecordType RecordType => RecordType.ClientOfferRequest;

        public byte[] Id { get; set; } = new byte[32];

        public long Count { get; set; }

        public string? Name { get; set; }

        public bool Flag { get; set; }

        public static bool TryReadCbor(CborReader reader, out SampleRecord? value)
        {
            value = new SampleRecord();
            int? n = reader.ReadStartMap();
            for (int i = 0; i < n; i++)
            {
                switch (reader.ReadInt32())
                {
                    case 1: value.Id = reader.ReadByteString(); break;
                    case 2: value.Count = reader.ReadInt64(); break;
                    case 3: value.Flag = reader.ReadBoolean(); break;
                    case 4: value.Name = reader.ReadTextString(); break;
                    default: reader.SkipValue(); break;
                }
            }

            reader.ReadEndMap();
            return true;
        }

        public void WriteCbor(CborWriter writer)
        {
            writer.WriteStartMap(null);
            writer.WriteField(4, Name);
            writer.WriteField(3, Flag);
            writer.WriteField(2, Count);
            writer.WriteFixedField(1, Id);
            writer.WriteEndMap();
        }
    }
}
