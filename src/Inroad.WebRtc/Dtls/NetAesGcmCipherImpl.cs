using System.Security.Cryptography;
using Org.BouncyCastle.Tls;
using Org.BouncyCastle.Tls.Crypto.Impl;

namespace Inroad.WebRtc.Dtls;

/// <summary>One direction of AES-GCM record protection through <see cref="AesGcm"/>; BouncyCastle calls Init then DoFinal per record.</summary>
internal sealed class NetAesGcmCipherImpl : TlsAeadCipherImpl, IDisposable
{
    private const int TagSize = 16;
    private readonly bool _encrypt;
    private AesGcm? _aes;
    private byte[] _nonce = [];
    private byte[] _additionalData = [];
    private byte[]? _key;

    public NetAesGcmCipherImpl(bool encrypt) => _encrypt = encrypt;

    public void SetKey(byte[] key, int keyOff, int keyLen) => SetKey(key.AsSpan(keyOff, keyLen));

    public void SetKey(ReadOnlySpan<byte> key)
    {
        _aes?.Dispose();
        _aes = new AesGcm(key, TagSize);
        _key = key.ToArray();
    }

    /// <summary>
    /// The record key and the 4-byte implicit nonce (salt) of this direction, once a record went through it
    /// (BouncyCastle hands the salt only as part of each record's nonce). For <see cref="DtlsFastRecords"/>.
    /// </summary>
    public bool TryGetKeyAndSalt(out byte[] key, out byte[] salt)
    {
        key = _key ?? [];
        salt = _nonce.Length == 12 ? _nonce[..4] : [];
        return _key is not null && salt.Length == 4;
    }

    public void Init(byte[] nonce, int macSize, byte[] additionalData)
    {
        if (macSize != TagSize)
        {
            throw new TlsFatalAlert(AlertDescription.internal_error);
        }

        _nonce = nonce;
        _additionalData = additionalData ?? [];
    }

    public int GetOutputSize(int inputLength) => _encrypt ? inputLength + TagSize : Math.Max(0, inputLength - TagSize);

    public int DoFinal(byte[] input, int inputOffset, int inputLength, byte[] output, int outputOffset) =>
        DoFinal(input.AsSpan(inputOffset, inputLength), output.AsSpan(outputOffset));

    public int DoFinal(byte[] additionalData, byte[] input, int inputOffset, int inputLength, byte[] output, int outputOffset)
    {
        if (additionalData is not null)
        {
            _additionalData = additionalData;
        }

        return DoFinal(input.AsSpan(inputOffset, inputLength), output.AsSpan(outputOffset));
    }

    public void Reset()
    {
    }

    public void Dispose() => _aes?.Dispose();

    private int DoFinal(ReadOnlySpan<byte> input, Span<byte> output)
    {
        var aes = _aes ?? throw new TlsFatalAlert(AlertDescription.internal_error);
        if (_encrypt)
        {
            // BouncyCastle encrypts in place (input and output overlap at the same offset); AesGcm allows exact overlap.
            aes.Encrypt(_nonce, input, output[..input.Length], output.Slice(input.Length, TagSize), _additionalData);
            return input.Length + TagSize;
        }

        if (input.Length < TagSize)
        {
            throw new TlsFatalAlert(AlertDescription.bad_record_mac);
        }

        int plainLength = input.Length - TagSize;
        try
        {
            aes.Decrypt(_nonce, input[..plainLength], input[plainLength..], output[..plainLength], _additionalData);
        }
        catch (AuthenticationTagMismatchException)
        {
            throw new TlsFatalAlert(AlertDescription.bad_record_mac);
        }

        return plainLength;
    }
}
