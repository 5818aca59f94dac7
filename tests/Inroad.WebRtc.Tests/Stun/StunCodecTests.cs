using System.Net;
using Inroad.Testing;
using Inroad.WebRtc.Stun;

namespace Inroad.WebRtc.Tests.Stun;

public sealed class StunCodecTests
{
    [Fact]
    public void Chromium_checks_verify_with_the_sdp_passwords()
    {
        Assert.True(StunMessage.TryRead(BrowserCaptures.Bytes(BrowserCaptures.ChromiumControlledCheck), out StunMessage? controlled));
        Assert.True(controlled.VerifyMessageIntegrity(StunIntegrity.ShortTermKey(BrowserCaptures.ChromiumOfferPwd)));
        Assert.False(controlled.VerifyMessageIntegrity(StunIntegrity.ShortTermKey(BrowserCaptures.ChromiumAnswerPwd)));
        Assert.True(controlled.HasValidFingerprint());
        Assert.True(StunMessage.TryRead(BrowserCaptures.Bytes(BrowserCaptures.ChromiumControllingCheck), out StunMessage? controlling));
        Assert.True(controlling.VerifyMessageIntegrity(StunIntegrity.ShortTermKey(BrowserCaptures.ChromiumAnswerPwd)));
        Assert.True(controlling.HasAttribute(StunAttributeType.UseCandidate));
        Assert.True(StunMessage.TryRead(BrowserCaptures.Bytes(BrowserCaptures.FirefoxControlledCheck), out StunMessage? ff));
        Assert.True(ff.VerifyMessageIntegrity(StunIntegrity.ShortTermKey(BrowserCaptures.FirefoxOfferPwd)));
        Assert.True(StunMessage.TryRead(BrowserCaptures.Bytes(BrowserCaptures.FirefoxControllingCheck), out StunMessage? ff2));
        Assert.True(ff2.VerifyMessageIntegrity(StunIntegrity.ShortTermKey(BrowserCaptures.FirefoxAnswerPwd)));
    }

    [Fact]
    public void Writer_reproduces_chromiums_check_and_response_byte_for_byte()
    {
        byte[] captured = BrowserCaptures.Bytes(BrowserCaptures.ChromiumControllingCheck);
        var id = StunTransactionId.Read(captured.AsSpan(8));
        byte[] buffer = new byte[256];
        var w = new StunMessageWriter(buffer, StunClass.Request, StunMethod.Binding, id);
        w.AddString(StunAttributeType.Username, "tQiK:COmM");
        w.AddGoogNetworkInfo(1, 0);
        w.AddUInt64(StunAttributeType.IceControlling, 0x3229e8e2983c7888);
        w.AddEmpty(StunAttributeType.UseCandidate);
        w.AddUInt32(StunAttributeType.Priority, 1853824767);
        w.AddMessageIntegrity(StunIntegrity.ShortTermKey(BrowserCaptures.ChromiumAnswerPwd));
        w.AddFingerprint();
        Assert.True(w.TryComplete(out int n));
        Assert.Equal(BrowserCaptures.ChromiumControllingCheck, Convert.ToHexStringLower(buffer.AsSpan(0, n)));

        byte[] response = BrowserCaptures.Bytes(BrowserCaptures.ChromiumControlledCheckResponse);
        var r = new StunMessageWriter(buffer, StunClass.SuccessResponse, StunMethod.Binding, StunTransactionId.Read(response.AsSpan(8)));
        r.AddXorMappedAddress(new IPEndPoint(IPAddress.Parse("198.18.0.1"), 44753));
        r.AddMessageIntegrity(StunIntegrity.ShortTermKey(BrowserCaptures.ChromiumOfferPwd));
        r.AddFingerprint();
        Assert.True(r.TryComplete(out n));
        Assert.Equal(BrowserCaptures.ChromiumControlledCheckResponse, Convert.ToHexStringLower(buffer.AsSpan(0, n)));
    }

    [Fact]
    public void Chromium_transaction_ids_are_base64_characters()
    {
        byte[] b = new byte[12];
        for (int i = 0; i < 50; i++)
        {
            StunTransactionId.NewChromium().Write(b);
            Assert.All(b, c => Assert.True(char.IsAsciiLetterOrDigit((char)c) || c == '+' || c == '/'));
        }
    }

    [Fact]
    public void Error_code_unknown_attributes_change_request_and_ipv6_round_trip()
    {
        byte[] buffer = new byte[256];
        var id = StunTransactionId.NewRandom();
        var w = new StunMessageWriter(buffer, StunClass.ErrorResponse, StunMethod.Binding, id);
        w.AddErrorCode(420, "Unknown Attribute");
        w.AddUnknownAttributes([0x0031, 0x0003]);
        w.AddAddress(StunAttributeType.OtherAddress, new IPEndPoint(IPAddress.Parse("2001:db8::5"), 3479));
        w.AddXorMappedAddress(new IPEndPoint(IPAddress.Parse("2001:db8::7"), 50000));
        w.AddChangeRequest(true, false);
        w.AddFingerprint();
        Assert.True(w.TryComplete(out int n));
        Assert.True(StunMessage.TryRead(buffer.AsSpan(0, n), out StunMessage? m));
        Assert.Equal(StunClass.ErrorResponse, m.Class);
        Assert.Equal(id, m.TransactionId);
        Assert.True(m.TryGetErrorCode(out int code, out string reason));
        Assert.Equal((420, "Unknown Attribute"), (code, reason));
        Assert.Equal(new ushort[] { 0x0031, 0x0003 }, m.GetUnknownAttributesList());
        Assert.True(m.TryGetAddress(StunAttributeType.OtherAddress, out IPEndPoint? other));
        Assert.Equal(new IPEndPoint(IPAddress.Parse("2001:db8::5"), 3479), other);
        Assert.True(m.TryGetXorMappedAddress(out IPEndPoint? mapped));
        Assert.Equal(new IPEndPoint(IPAddress.Parse("2001:db8::7"), 50000), mapped);
        Assert.True(m.TryGetChangeRequest(out bool ip, out bool port));
        Assert.True(ip);
        Assert.False(port);
        Assert.True(m.HasValidFingerprint());
    }

    [Fact]
    public void Writer_reports_overflow_instead_of_throwing()
    {
        byte[] small = new byte[30];
        var w = new StunMessageWriter(small, StunClass.Request, StunMethod.Binding, StunTransactionId.NewRandom());
        w.AddString(StunAttributeType.Username, "a-rather-long-username:for-a-small-buffer");
        w.AddFingerprint();
        Assert.True(w.Overflowed);
        Assert.False(w.TryComplete(out _));
    }

    [Fact]
    public void Mutated_and_random_datagrams_never_throw_and_reparse_stably()
    {
        var random = new Random(20261126);
        byte[][] seeds =
        [
            BrowserCaptures.Bytes(BrowserCaptures.ChromiumControlledCheck),
            BrowserCaptures.Bytes(BrowserCaptures.FirefoxControllingCheck),
            BrowserCaptures.Bytes(BrowserCaptures.ChromiumControlledCheckResponse),
        ];
        int parsed = 0;
        for (int i = 0; i < 20000; i++)
        {
            byte[] input;
            if (i % 4 == 0)
            {
                input = new byte[random.Next(0, 120)];
                random.NextBytes(input);
            }
            else
            {
                input = (byte[])seeds[i % seeds.Length].Clone();
                int flips = random.Next(1, 4);
                for (int f = 0; f < flips; f++)
                {
                    input[random.Next(input.Length)] ^= (byte)(1 << random.Next(8));
                }

                if (i % 7 == 0)
                {
                    input = input[..random.Next(input.Length)];
                }
            }

            if (!StunMessage.TryRead(input, out StunMessage? m))
            {
                continue;
            }

            parsed++;
            _ = m.TryGetXorMappedAddress(out _);
            _ = m.TryGetErrorCode(out _, out _);
            _ = m.TryGetUsername(out _);
            _ = m.HasValidFingerprint();
            _ = m.VerifyMessageIntegrity([1, 2, 3]);
            _ = m.VerifyMessageIntegritySha256([1, 2, 3]);
            _ = m.GetUnknownAttributesList();
            Assert.True(StunMessage.TryRead(m.Raw.Span, out StunMessage? again));
            Assert.Equal(m.Attributes, again.Attributes);
        }

        Assert.True(parsed > 1000, $"only {parsed} mutated inputs parsed");
    }

    [Fact]
    public void Parsing_and_verifying_a_check_allocates_only_the_message()
    {
        byte[] check = BrowserCaptures.Bytes(BrowserCaptures.ChromiumControlledCheck);
        byte[] key = StunIntegrity.ShortTermKey(BrowserCaptures.ChromiumOfferPwd);
        double bytes = AllocationGuard.BytesPerIteration(() =>
        {
            StunMessage.TryRead(check, out StunMessage? m);
            m!.VerifyMessageIntegrity(key);
            m.HasValidFingerprint();
        });

        // One StunMessage object, its copy of the datagram and its attribute array; hashing allocates nothing.
        Assert.InRange(bytes, 1, 400);
    }
}
