using Org.BouncyCastle.Security;
using Org.BouncyCastle.Tls.Crypto;
using Org.BouncyCastle.Tls.Crypto.Impl;
using Org.BouncyCastle.Tls.Crypto.Impl.BC;

namespace Inroad.WebRtc.Dtls;

/// <summary>
/// BouncyCastle's TLS crypto with AES-GCM record protection moved to .NET's <see cref="System.Security.Cryptography.AesGcm"/>
/// (OpenSSL: AES-NI/VAES on x64 and the ARMv8 crypto extensions, where BouncyCastle 2.7 has no intrinsics at all).
/// Everything else (ECDHE, ECDSA, PRF) stays BouncyCastle's.
/// </summary>
internal sealed class NetAesGcmTlsCrypto : BcTlsCrypto
{
    public NetAesGcmTlsCrypto()
        : base(new SecureRandom())
    {
    }

    /// <summary>The record ciphers made so far with their two directions (one per epoch with keys; a handful at most).</summary>
    internal List<(TlsAeadCipher Cipher, NetAesGcmCipherImpl Encrypt, NetAesGcmCipherImpl Decrypt)> Ciphers { get; } = [];

    protected override TlsAeadCipher CreateCipher_Aes_Gcm(TlsCryptoParameters cryptoParams, int cipherKeySize, int macSize)
    {
        var encrypt = new NetAesGcmCipherImpl(encrypt: true);
        var decrypt = new NetAesGcmCipherImpl(encrypt: false);
        var cipher = new TlsAeadCipher(cryptoParams, encrypt, decrypt, cipherKeySize, macSize, TlsAeadCipher.AEAD_GCM);
        lock (Ciphers)
        {
            Ciphers.Add((cipher, encrypt, decrypt));
        }

        return cipher;
    }
}
