using System.Text.Json;
using Inroad.WebRtc.DataChannels;

namespace Inroad.WebRtc.Tests.DataChannels;

public sealed class DcepTests
{
    [Fact]
    public void Open_bytes_match_what_Chromium_and_Firefox_send()
    {
        // browsers.md "SCTP and DCEP": Chromium priority 256, Firefox priority 0, label "chat".
        AssertWrites(new DataChannelOptions { Label = "chat" }, "0300010000000000000400006368617" + "4");
        AssertWrites(new DataChannelOptions { Label = "chat", Priority = 0 }, "03000000000000000004000063686174");
    }

    [Fact]
    public void Partial_reliability_maps_to_channel_type_and_parameter()
    {
        AssertWrites(new DataChannelOptions { Label = "u", Ordered = false, MaxRetransmits = 0, Priority = 0 }, "03810000000000000001000075");
        AssertWrites(new DataChannelOptions { Label = "t", MaxPacketLifeTime = TimeSpan.FromMilliseconds(1500), Priority = 0 }, "030200000000" + "05dc" + "0001000074");
    }

    [Fact]
    public void Vectors_parse_and_reencode_byte_for_byte()
    {
        using JsonDocument doc = SharedVectors.Load("sctp/dcep.json");
        int opens = 0;
        int acks = 0;
        foreach (JsonElement m in doc.RootElement.GetProperty("messages").EnumerateArray())
        {
            if (!m.TryGetProperty("hex", out JsonElement hexElement))
            {
                continue; // given as a recipe
            }

            byte[] bytes = Convert.FromHexString(hexElement.GetString()!);
            if (bytes[0] == DcepOpen.MessageTypeAck)
            {
                Assert.True(DcepOpen.IsAck(bytes));
                acks++;
                continue;
            }

            Assert.True(DcepOpen.TryRead(bytes, out DcepOpen open));
            JsonElement d = m.GetProperty("decoded");
            Assert.Equal(d.GetProperty("label").GetString(), open.Label);
            Assert.Equal(d.GetProperty("protocol").GetString(), open.Protocol);
            byte[] again = new byte[open.Length];
            Assert.True(open.TryWrite(again, out int written));
            Assert.Equal(bytes, again[..written]);
            opens++;
        }

        Assert.True(opens >= 2);
        Assert.True(acks >= 2);
    }

    [Fact]
    public void Maximal_label_and_protocol_round_trip()
    {
        var open = new DcepOpen(DataChannelType.Reliable, 0, 0, new string('l', 65535), new string('p', 65535));
        byte[] buffer = new byte[open.Length];
        Assert.True(open.TryWrite(buffer, out int written));
        Assert.Equal(12 + 65535 + 65535, written);
        Assert.True(DcepOpen.TryRead(buffer, out DcepOpen back));
        Assert.Equal(open, back);
    }

    [Theory]
    [InlineData("")]
    [InlineData("03")]
    [InlineData("0300000000000000")]
    [InlineData("030000000000000000050000616263")] // label length beyond the message
    [InlineData("03770000000000000000000000")] // unknown channel type
    [InlineData("0300000000000000000200ffff")] // invalid UTF-8 label
    [InlineData("02")] // an ACK is not an OPEN
    public void Malformed_opens_are_rejected_without_exceptions(string hex)
    {
        Assert.False(DcepOpen.TryRead(Convert.FromHexString(hex), out _));
    }

    [Fact]
    public void Random_bytes_never_throw_and_whatever_parses_reencodes_identically()
    {
        var random = new Random(42);
        byte[] buffer = new byte[64];
        for (int i = 0; i < 20_000; i++)
        {
            int length = random.Next(0, buffer.Length);
            random.NextBytes(buffer.AsSpan(0, length));
            if (length > 0 && random.Next(2) == 0)
            {
                buffer[0] = 0x03;
            }

            if (DcepOpen.TryRead(buffer.AsSpan(0, length), out DcepOpen open))
            {
                byte[] again = new byte[open.Length];
                Assert.True(open.TryWrite(again, out int written));
                Assert.True(DcepOpen.TryRead(again.AsSpan(0, written), out DcepOpen back));
                Assert.Equal(open, back);
            }
        }
    }

    private static void AssertWrites(DataChannelOptions options, string hex)
    {
        DcepOpen open = options.ToOpenMessage();
        byte[] buffer = new byte[open.Length];
        Assert.True(open.TryWrite(buffer, out int written));
        Assert.Equal(hex, Convert.ToHexStringLower(buffer.AsSpan(0, written)));
    }
}
