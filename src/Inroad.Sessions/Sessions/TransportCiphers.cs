using Inroad.Sessions.Noise;

namespace Inroad.Sessions;

/// <summary>
/// The two transport CipherStates of an established session, shared by concurrent round trips: sends take the
/// next nonce, receives use the nonce carried in the packet and a <see cref="ReplayWindow"/>. Guarded by one lock;
/// each operation is a single ChaCha20-Poly1305 call.
/// </summary>
internal sealed class TransportCiphers
{
    private readonly Lock _lock = new();
    private readonly CipherState _send; // guarded by _lock
    private readonly CipherState _receive; // guarded by _lock
    private readonly ReplayWindow _window = new(); // guarded by _lock

    public TransportCiphers(CipherState send, CipherState receive)
    {
        _send = send;
        _receive = receive;
    }

    /// <summary>Encrypts with the next send nonce; returns the ciphertext length.</summary>
    public int Seal(ReadOnlySpan<byte> plaintext, Span<byte> destination, out ulong nonce)
    {
        lock (_lock)
        {
            nonce = _send.Nonce;
            return _send.EncryptWithAd(default, plaintext, destination);
        }
    }

    /// <summary>Decrypts a packet of the given nonce; -1 when it does not authenticate or is a replay.</summary>
    public int Open(ulong nonce, ReadOnlySpan<byte> ciphertext, Span<byte> destination)
    {
        lock (_lock)
        {
            if (nonce == ulong.MaxValue || !_window.CanAccept(nonce))
            {
                return -1;
            }

            int n = _receive.DecryptWithNonce(nonce, default, ciphertext, destination);
            if (n >= 0 && !_window.TryAccept(nonce))
            {
                return -1;
            }

            return n;
        }
    }
}
