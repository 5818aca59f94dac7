using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace Inroad.Sessions.Crypto;

/// <summary>
/// One AES-256-GCM key with a 16-byte tag, safe to use from many threads at once: libsodium when it has
/// AES-GCM here (the key expanded once into a read-only state; calls take no lock), else .NET
/// <see cref="AesGcm"/> instances striped across locks.
/// </summary>
internal sealed class AesGcmKey : IDisposable
{
    private const int StateAlignment = 16;

    // The expanded state must be 16-byte aligned: a pinned array with room to slide to the next boundary.
    private readonly byte[]? _state;
    private readonly int _stateOffset;
    private readonly Stripe[]? _stripes;
    private volatile bool _disposed;

    public AesGcmKey(ReadOnlySpan<byte> key)
    {
        if (Sodium.HasAes256Gcm && key.Length == Sodium.KeyLength)
        {
            _state = GC.AllocateArray<byte>(Sodium.Aes256GcmStateLength + StateAlignment, pinned: true);
            long address = Marshal.UnsafeAddrOfPinnedArrayElement(_state, 0).ToInt64();
            _stateOffset = (int)((StateAlignment - (address % StateAlignment)) % StateAlignment);
            Sodium.Aes256GcmExpand(State, key);
            return;
        }

        int count = (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(2, Environment.ProcessorCount * 2));
        _stripes = new Stripe[count];
        for (int i = 0; i < count; i++)
        {
            _stripes[i] = new Stripe(new AesGcm(key, Sodium.TagLength));
        }
    }

    /// <summary>Encrypts; <paramref name="ciphertext"/> may be the same memory as <paramref name="plaintext"/>.</summary>
    public void Encrypt(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> plaintext, Span<byte> ciphertext, Span<byte> tag)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_state is not null)
        {
            Sodium.Aes256GcmEncrypt(State, nonce, plaintext, ciphertext, tag);
            return;
        }

        Stripe stripe = Pick();
        lock (stripe)
        {
            stripe.Gcm.Encrypt(nonce, plaintext, ciphertext, tag);
        }
    }

    /// <summary>Decrypts; false when the tag does not verify (never throws for that).</summary>
    public bool TryDecrypt(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> tag, Span<byte> plaintext)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_state is not null)
        {
            return Sodium.Aes256GcmDecrypt(State, nonce, ciphertext, tag, plaintext);
        }

        Stripe stripe = Pick();
        try
        {
            lock (stripe)
            {
                stripe.Gcm.Decrypt(nonce, ciphertext, tag, plaintext);
            }

            return true;
        }
        catch (AuthenticationTagMismatchException)
        {
            return false;
        }
    }

    public void Dispose()
    {
        _disposed = true;
        if (_state is not null)
        {
            CryptographicOperations.ZeroMemory(_state);
        }

        foreach (Stripe s in _stripes ?? [])
        {
            lock (s)
            {
                s.Gcm.Dispose();
            }
        }
    }

    private Span<byte> State => _state.AsSpan(_stateOffset, Sodium.Aes256GcmStateLength);

    private Stripe Pick() => _stripes![Environment.CurrentManagedThreadId & (_stripes.Length - 1)];

    /// <summary>One GCM instance and the lock that guards it (AesGcm is not thread-safe).</summary>
    private sealed class Stripe(AesGcm gcm)
    {
        public AesGcm Gcm { get; } = gcm;
    }
}
