using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Text.Json;
using Inroad.WebRtc.Stun;

namespace Inroad.WebRtc.Tests.Stun;

public sealed class StunVectorTests
{
    public static TheoryData<string> Rfc5769 => SharedVectors.Names("stun/rfc5769.json");

    public static TheoryData<string> Captured => SharedVectors.Names("stun/captured.json");

    [Theory]
    [MemberData(nameof(Rfc5769))]
    public void Rfc5769_samples_parse_and_verify(string name)
    {
        JsonElement v = SharedVectors.Find("stun/rfc5769.json", name);
        StunMessage m = ParseAndCompare(v);
        JsonElement integrity = v.GetProperty("integrity");
        byte[] key = Convert.FromHexString(integrity.GetProperty("hmac_key_hex").GetString()!);
        Assert.True(m.VerifyMessageIntegrity(key));
        key[0] ^= 1;
        Assert.False(m.VerifyMessageIntegrity(key));
        if (integrity.GetProperty("fingerprint_valid").ValueKind == JsonValueKind.True)
        {
            Assert.True(m.HasValidFingerprint());
        }
        else
        {
            Assert.False(m.HasAttribute(StunAttributeType.Fingerprint));
        }
    }

    [Fact]
    public void Rfc5769_short_term_key_is_the_password_bytes()
    {
        JsonElement v = SharedVectors.Find("stun/rfc5769.json", "sample_request");
        Assert.True(StunMessage.TryRead(Convert.FromHexString(v.GetProperty("hex").GetString()!), out StunMessage? m));
        Assert.True(m.VerifyMessageIntegrity(StunIntegrity.ShortTermKey("VOkJxbRl1RmTxUk/WvJxBt")));
        Assert.True(m.TryGetUsername(out string? user));
        Assert.Equal("evtj:h6vY", user);
        Assert.True(m.TryGetSoftware(out string? software));
        Assert.Equal("STUN test client", software);
        Assert.True(m.TryGetPriority(out uint priority));
        Assert.Equal(1845494271u, priority);
        Assert.True(m.TryGetUInt64(StunAttributeType.IceControlled, out ulong tie));
        Assert.Equal(0x932ff9b151263b36UL, tie);
    }

    [Fact]
    public void Rfc5769_long_term_md5_key_derivation_matches()
    {
        JsonElement v = SharedVectors.Find("stun/rfc5769.json", "sample_request_long_term_auth");
        byte[] expected = Convert.FromHexString(v.GetProperty("integrity").GetProperty("hmac_key_hex").GetString()!);
        JsonElement p = v.GetProperty("parameters");
        byte[] key = StunIntegrity.LongTermKeyMd5(
            p.GetProperty("username").GetString()!,
            p.GetProperty("realm").GetString()!,
            p.GetProperty("password_after_saslprep").GetString()!);
        Assert.Equal(expected, key);
        Assert.True(StunMessage.TryRead(Convert.FromHexString(v.GetProperty("hex").GetString()!), out StunMessage? m));
        Assert.True(m.VerifyMessageIntegrity(key));
    }

    [Theory]
    [InlineData("sample_ipv4_response", "192.0.2.1", 32853)]
    [InlineData("sample_ipv6_response", "2001:db8:1234:5678:11:2233:4455:6677", 32853)]
    public void Rfc5769_xor_mapped_addresses_decode(string name, string ip, int port)
    {
        JsonElement v = SharedVectors.Find("stun/rfc5769.json", name);
        Assert.True(StunMessage.TryRead(Convert.FromHexString(v.GetProperty("hex").GetString()!), out StunMessage? m));
        Assert.Equal(StunClass.SuccessResponse, m.Class);
        Assert.True(m.TryGetXorMappedAddress(out IPEndPoint? ep));
        Assert.Equal(new IPEndPoint(IPAddress.Parse(ip), port), ep);
    }

    [Fact]
    public void Rfc8489_errata_message_verifies_with_sha256_and_published_one_is_refused()
    {
        JsonElement good = SharedVectors.Find("stun/rfc8489.json", "sample_request_long_term_sha256_userhash_errata6268");
        StunMessage m = ParseAndCompare(good);
        byte[] key = Convert.FromHexString(good.GetProperty("integrity").GetProperty("hmac_key_hex").GetString()!);
        Assert.True(m.VerifyMessageIntegritySha256(key));
        key[5] ^= 0x80;
        Assert.False(m.VerifyMessageIntegritySha256(key));

        JsonElement bad = SharedVectors.Find("stun/rfc8489.json", "sample_request_long_term_sha256_userhash_as_published");
        Assert.False(StunMessage.TryRead(Convert.FromHexString(bad.GetProperty("hex").GetString()!), out _));
    }

    [Theory]
    [MemberData(nameof(Captured))]
    public void Captured_messages_parse_keep_unknown_attributes_and_reencode_byte_for_byte(string name)
    {
        JsonElement v = SharedVectors.Find("stun/captured.json", name);
        byte[] bytes = Convert.FromHexString(v.GetProperty("hex").GetString()!);
        StunMessage m = ParseAndCompare(v);
        if (m.HasAttribute(StunAttributeType.Fingerprint))
        {
            Assert.True(m.HasValidFingerprint());
        }

        // Re-encode every attribute (unknown ones included) as raw bytes: padding is zero in these captures,
        // so the writer must reproduce the datagram exactly.
        byte[] output = new byte[bytes.Length + 64];
        var w = new StunMessageWriter(output, m.Class, m.Method, m.TransactionId);
        foreach (StunAttribute a in m.Attributes)
        {
            w.AddBytes(a.Type, m.GetValue(a));
        }

        Assert.True(w.TryComplete(out int written));
        Assert.Equal(Convert.ToHexStringLower(bytes), Convert.ToHexStringLower(output.AsSpan(0, written)));
    }

    private static StunMessage ParseAndCompare(JsonElement v)
    {
        byte[] bytes = Convert.FromHexString(v.GetProperty("hex").GetString()!);
        Assert.True(StunMessage.TryRead(bytes, out StunMessage? m));
        JsonElement expected = v.GetProperty("expected");
        Assert.Equal(Convert.ToInt32(expected.GetProperty("message_type").GetString(), 16), BinaryPrimitives.ReadUInt16BigEndian(bytes));
        string cls = expected.GetProperty("class").GetString()!;
        Assert.Equal(
            cls switch
            {
                "request" => StunClass.Request,
                "indication" => StunClass.Indication,
                "success response" => StunClass.SuccessResponse,
                _ => StunClass.ErrorResponse,
            },
            m.Class);
        Assert.Equal(StunMethod.Binding, m.Method);
        Assert.Equal(expected.GetProperty("transaction_id").GetString(), m.TransactionId.ToString());
        JsonElement[] attributes = expected.GetProperty("attributes").EnumerateArray().ToArray();
        Assert.Equal(attributes.Length, m.Attributes.Count);
        for (int i = 0; i < attributes.Length; i++)
        {
            StunAttribute a = m.Attributes[i];
            Assert.Equal(ushort.Parse(attributes[i].GetProperty("type").GetString()![2..], NumberStyles.HexNumber, CultureInfo.InvariantCulture), a.Type);
            Assert.Equal(attributes[i].GetProperty("offset").GetInt32(), a.HeaderOffset);
            Assert.Equal(attributes[i].GetProperty("length").GetInt32(), a.ValueLength);
            Assert.Equal(attributes[i].GetProperty("value").GetString(), Convert.ToHexStringLower(m.GetValue(a)));
        }

        return m;
    }
}
