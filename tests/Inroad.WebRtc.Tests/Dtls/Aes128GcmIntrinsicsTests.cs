using System.Security.Cryptography;
using Inroad.WebRtc.Dtls;

namespace Inroad.WebRtc.Tests.Dtls;

/// <summary>The managed AES-NI/PCLMULQDQ AES-128-GCM against .NET's <see cref="AesGcm"/>, byte for byte.</summary>
public sealed class Aes128GcmIntrinsicsTests
{
    [Fact]
    public void Matches_AesGcm_for_every_length_up_to_1500_in_place_and_apart()
    {
        if (!Aes128GcmIntrinsics.IsSupported)
        {
            Assert.Skip("no AES-NI/PCLMULQDQ on this CPU");
        }

        var random = new Random(42);
        for (int length = 0; length <= 1500; length += length < 100 ? 1 : 37)
        {
            byte[] key = new byte[16];
            byte[] nonce = new byte[12];
            byte[] aad = new byte[length % 3 == 0 ? 13 : length % 40];
            byte[] plaintext = new byte[length];
            random.NextBytes(key);
            random.NextBytes(nonce);
            random.NextBytes(aad);
            random.NextBytes(plaintext);

            byte[] expected = new byte[length];
            byte[] expectedTag = new byte[16];
            using (var reference = new AesGcm(key, 16))
            {
                reference.Encrypt(nonce, plaintext, expected, expectedTag, aad);
            }

            var gcm = new Aes128GcmIntrinsics(key);
            byte[] buffer = (byte[])plaintext.Clone();
            byte[] tag = new byte[16];
            gcm.Encrypt(nonce, buffer, buffer, tag, aad); // in place
            Assert.Equal(expected, buffer);
            Assert.Equal(expectedTag, tag);

            byte[] opened = new byte[length];
            Assert.True(gcm.TryDecrypt(nonce, expected, expectedTag, opened, aad));
            Assert.Equal(plaintext, opened);
            Assert.True(gcm.TryDecrypt(nonce, buffer, tag, buffer, aad)); // in place
            Assert.Equal(plaintext, buffer);
        }
    }

    [Fact]
    public void A_changed_tag_aad_or_ciphertext_is_refused_and_nothing_is_written()
    {
        if (!Aes128GcmIntrinsics.IsSupported)
        {
            Assert.Skip("no AES-NI/PCLMULQDQ on this CPU");
        }

        byte[] key = Enumerable.Range(0, 16).Select(i => (byte)i).ToArray();
        byte[] nonce = new byte[12];
        byte[] aad = [1, 2, 3];
        byte[] plaintext = new byte[1200];
        new Random(1).NextBytes(plaintext);
        var gcm = new Aes128GcmIntrinsics(key);
        byte[] ciphertext = new byte[plaintext.Length];
        byte[] tag = new byte[16];
        gcm.Encrypt(nonce, plaintext, ciphertext, tag, aad);

        byte[] output = new byte[plaintext.Length];
        byte[] badTag = (byte[])tag.Clone();
        badTag[15] ^= 0x80;
        Assert.False(gcm.TryDecrypt(nonce, ciphertext, badTag, output, aad));
        Assert.False(gcm.TryDecrypt(nonce, ciphertext, tag, output, [1, 2, 4]));
        byte[] flipped = (byte[])ciphertext.Clone();
        flipped[600] ^= 1;
        Assert.False(gcm.TryDecrypt(nonce, flipped, tag, output, aad));
        Assert.All(output, b => Assert.Equal(0, b));
    }
}
