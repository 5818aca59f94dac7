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

    protected override TlsAeadCipher CreateCipher_Aes_Gcm(TlsCryptoParameters cryptoParams, int cipherKeySize, int macSize) =>
        new(cryptoParams, new NetAesGcmCipherImpl(encrypt: true), new NetAesGcmCipherImpl(encrypt: false), cipherKeySize, macSize, TlsAeadCipher.AEAD_GCM);
}
