using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Inroad.Sessions.Noise;

/// <summary>
/// Noise CipherState (§5.1) with ChaChaPoly (§12.2): 96-bit nonce = 32 zero bits ‖ 64-bit little-endian
/// counter, 16-byte tag appended. Not thread-safe: a session that shares one across round trips locks it.
/// Explicit-nonce methods let a transport carry the nonce so packets may arrive out of order.
/// </summary>
internal sealed class CipherState : IDisposable
{
    /// <summary>AEAD tag length.</summary>
    public const int TagLength = 16;

    /// <summary>Key length.</summary>
    public const int KeyLength = 32;

    // libsodium when it loads (key held here, pinned so the GC never leaves copies), else .NET's OpenSSL class.
    private byte[]? _key;
    private ChaCha20Poly1305? _fallback;

    /// <summary>The next nonce <see cref="EncryptWithAd"/> / <see cref="DecryptWithAd"/> will use.</summary>
    public ulong Nonce { get; set; }

    public bool HasKey => _key is not null || _fallback is not null;

    public void InitializeKey(ReadOnlySpan<byte> key)
    {
        Dispose();
        if (Crypto.Sodium.IsAvailable && key.Length == KeyLength)
        {
            _key = GC.AllocateUninitializedArray<byte>(KeyLength, pinned: true);
            key.CopyTo(_key);
        }
        else
        {
            _fallback = new ChaCha20Poly1305(key);
        }

        Nonce = 0;
    }

    /// <summary>Encrypts with the current nonce and increments it; without a key copies the plaintext (§5.1).</summary>
    public int EncryptWithAd(ReadOnlySpan<byte> ad, ReadOnlySpan<byte> plaintext, Span<byte> destination)
    {
        if (!HasKey)
        {
            plaintext.CopyTo(destination);
            return plaintext.Length;
        }

        // §5.1: nonce 2^64-1 is reserved; running out is the caller's bug, not network input.
        if (Nonce == ulong.MaxValue)
        {
            throw new SessionException(SessionError.NonceExhausted, "Noise cipher nonce exhausted");
        }

        int n = EncryptWithNonce(Nonce, ad, plaintext, destination);
        Nonce++;
        return n;
    }

    /// <summary>Decrypts with the current nonce and increments it on success. Returns -1 when authentication fails.</summary>
    public int DecryptWithAd(ReadOnlySpan<byte> ad, ReadOnlySpan<byte> ciphertext, Span<byte> destination)
    {
        if (!HasKey)
        {
            ciphertext.CopyTo(destination);
            return ciphertext.Length;
        }

        if (Nonce == ulong.MaxValue)
        {
            return -1;
        }

        int n = DecryptWithNonce(Nonce, ad, ciphertext, destination);
        if (n >= 0)
        {
            Nonce++;
        }

        return n;
    }

    /// <summary>ENCRYPT(k, nonce, ad, plaintext) without touching <see cref="Nonce"/>; writes plaintext.Length + 16 bytes.</summary>
    public int EncryptWithNonce(ulong nonce, ReadOnlySpan<byte> ad, ReadOnlySpan<byte> plaintext, Span<byte> destination)
    {
        Span<byte> iv = stackalloc byte[12];
        WriteNonce(nonce, iv);
        if (_key is not null)
        {
            Crypto.Sodium.ChaChaPolyEncrypt(_key, iv, plaintext, destination[..plaintext.Length], destination.Slice(plaintext.Length, TagLength), ad);
        }
        else
        {
            ChaCha20Poly1305 aead = _fallback ?? throw new InvalidOperationException("cipher has no key");
            aead.Encrypt(iv, plaintext, destination[..plaintext.Length], destination.Slice(plaintext.Length, TagLength), ad);
        }

        return plaintext.Length + TagLength;
    }

    /// <summary>DECRYPT(k, nonce, ad, ciphertext) without touching <see cref="Nonce"/>; -1 when it does not authenticate.</summary>
    public int DecryptWithNonce(ulong nonce, ReadOnlySpan<byte> ad, ReadOnlySpan<byte> ciphertext, Span<byte> destination)
    {
        if (!HasKey)
        {
            throw new InvalidOperationException("cipher has no key");
        }

        if (ciphertext.Length < TagLength || destination.Length < ciphertext.Length - TagLength)
        {
            return -1;
        }

        int length = ciphertext.Length - TagLength;
        Span<byte> iv = stackalloc byte[12];
        WriteNonce(nonce, iv);
        if (_key is not null)
        {
            return Crypto.Sodium.ChaChaPolyDecrypt(_key, iv, ciphertext[..length], ciphertext[length..], destination[..length], ad) ? length : -1;
        }

        try
        {
            _fallback!.Decrypt(iv, ciphertext[..length], ciphertext[length..], destination[..length], ad);
            return length;
        }
        catch (AuthenticationTagMismatchException)
        {
            return -1;
        }
    }

    /// <summary>REKEY (§4.2): k = ENCRYPT(k, 2^64-1, empty, zeros)[0:32].</summary>
    public void Rekey()
    {
        Span<byte> zeros = stackalloc byte[KeyLength];
        zeros.Clear();
        Span<byte> output = stackalloc byte[KeyLength + TagLength];
        EncryptWithNonce(ulong.MaxValue, default, zeros, output);
        ulong nonce = Nonce;
        InitializeKey(output[..KeyLength]);
        Nonce = nonce;
        output.Clear();
    }

    public void Dispose()
    {
        if (_key is not null)
        {
            CryptographicOperations.ZeroMemory(_key);
            _key = null;
        }

        _fallback?.Dispose();
        _fallback = null;
    }

    private static void WriteNonce(ulong nonce, Span<byte> iv)
    {
        iv[..4].Clear();
        BinaryPrimitives.WriteUInt64LittleEndian(iv[4..], nonce);
    }
}
