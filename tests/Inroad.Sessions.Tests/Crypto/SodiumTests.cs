using System.Security.Cryptography;
using Inroad.Sessions.Crypto;

namespace Inroad.Sessions.Tests.Crypto;

/// <summary>libsodium's AEADs against .NET's (OpenSSL) on the same inputs: same bytes, in place too, and tampering refused.</summary>
public sealed class SodiumTests
{
    [Fact]
    public void Libsodium_loads_here()
    {
        // The fallbacks keep working without it, but on this platform the fast path must be taken.
        Assert.True(Sodium.IsAvailable);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(63)]
    [InlineData(64)]
    [InlineData(140)]
    [InlineData(1500)]
    public void ChaChaPoly_matches_dotnet_and_rejects_tampering(int length)
    {
        Assert.SkipUnless(Sodium.IsAvailable, "libsodium not loadable");
        var rng = new Random(length + 1);
        byte[] key = Bytes(rng, 32), nonce = Bytes(rng, 12), plain = Bytes(rng, length), ad = Bytes(rng, 32);
        byte[] expected = new byte[length], expectedTag = new byte[16];
        using (var reference = new ChaCha20Poly1305(key))
        {
            reference.Encrypt(nonce, plain, expected, expectedTag, ad);
        }

        byte[] cipher = new byte[length], tag = new byte[16];
        Sodium.ChaChaPolyEncrypt(key, nonce, plain, cipher, tag, ad);
        Assert.Equal(expected, cipher);
        Assert.Equal(expectedTag, tag);

        byte[] inPlace = (byte[])plain.Clone();
        Sodium.ChaChaPolyEncrypt(key, nonce, inPlace, inPlace, tag, ad);
        Assert.Equal(expected, inPlace);

        byte[] opened = new byte[length];
        Assert.True(Sodium.ChaChaPolyDecrypt(key, nonce, cipher, tag, opened, ad));
        Assert.Equal(plain, opened);
        tag[rng.Next(16)] ^= 1;
        Assert.False(Sodium.ChaChaPolyDecrypt(key, nonce, cipher, tag, opened, ad));
        tag = (byte[])expectedTag.Clone();
        ad[0] ^= 0x80;
        Assert.False(Sodium.ChaChaPolyDecrypt(key, nonce, cipher, tag, opened, ad));
        if (length > 0)
        {
            ad[0] ^= 0x80;
            cipher[rng.Next(length)] ^= 4;
            Assert.False(Sodium.ChaChaPolyDecrypt(key, nonce, cipher, tag, opened, ad));
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(16)]
    [InlineData(180)]
    [InlineData(1500)]
    public void AesGcm_matches_dotnet_in_place_and_rejects_tampering(int length)
    {
        Assert.SkipUnless(Sodium.HasAes256Gcm, "libsodium AES-GCM not available on this CPU");
        var rng = new Random(length + 7);
        byte[] key = Bytes(rng, 32), nonce = Bytes(rng, 12), plain = Bytes(rng, length);
        byte[] expected = new byte[length], expectedTag = new byte[16];
        using (var reference = new AesGcm(key, 16))
        {
            reference.Encrypt(nonce, plain, expected, expectedTag);
        }

        using var gcm = new AesGcmKey(key);
        byte[] inPlace = (byte[])plain.Clone(), tag = new byte[16];
        gcm.Encrypt(nonce, inPlace, inPlace, tag);
        Assert.Equal(expected, inPlace);
        Assert.Equal(expectedTag, tag);

        byte[] opened = new byte[length];
        Assert.True(gcm.TryDecrypt(nonce, expected, expectedTag, opened));
        Assert.Equal(plain, opened);
        tag[rng.Next(16)] ^= 1;
        Assert.False(gcm.TryDecrypt(nonce, expected, tag, opened));
        if (length > 0)
        {
            expected[rng.Next(length)] ^= 4;
            Assert.False(gcm.TryDecrypt(nonce, expected, expectedTag, opened));
        }
    }

    [Fact]
    public void Disposed_gcm_key_refuses_work_instead_of_using_a_wiped_state()
    {
        var gcm = new AesGcmKey(new byte[32]);
        gcm.Dispose();
        byte[] nonce = new byte[12], tag = new byte[16], data = new byte[8];
        Assert.Throws<ObjectDisposedException>(() => gcm.Encrypt(nonce, data, data, tag));
        Assert.Throws<ObjectDisposedException>(() => gcm.TryDecrypt(nonce, data, tag, data));
    }

    [Fact]
    public void Wrong_lengths_throw_instead_of_reaching_native_code()
    {
        byte[] key = new byte[32], nonce = new byte[12], tag = new byte[16];
        Assert.Throws<ArgumentException>(() => Sodium.ChaChaPolyEncrypt(key.AsSpan(0, 31), nonce, new byte[4], new byte[4], tag, default));
        Assert.Throws<ArgumentException>(() => Sodium.ChaChaPolyEncrypt(key, nonce, new byte[8], new byte[4], tag, default));
        byte[] state = new byte[Sodium.Aes256GcmStateLength];
        Assert.Throws<ArgumentException>(() => Sodium.Aes256GcmDecrypt(state, nonce.AsSpan(0, 8), new byte[4], tag, new byte[4]));
        Assert.Throws<ArgumentException>(() => Sodium.Aes256GcmDecrypt(state, nonce, new byte[4], tag.AsSpan(0, 8), new byte[4]));
        Assert.Throws<ArgumentException>(() => Sodium.Aes256GcmEncrypt(key, nonce, new byte[4], new byte[4], tag));
    }

    private static byte[] Bytes(Random rng, int n)
    {
        byte[] b = new byte[n];
        rng.NextBytes(b);
        return b;
    }
}
