namespace Inroad.Sessions.Noise;

/// <summary>
/// Noise SymmetricState (§5.2): chaining key, handshake hash and the handshake CipherState. It can take a
/// snapshot and roll back to it, so a message that fails to authenticate leaves the handshake as it was
/// (garbage from the network must not kill a pending handshake).
/// </summary>
internal sealed class SymmetricState : IDisposable
{
    private readonly NoiseHash _hash;
    private readonly byte[] _ck = new byte[NoiseHash.MaxHashLen];
    private readonly byte[] _h = new byte[NoiseHash.MaxHashLen];
    private readonly byte[] _k = new byte[CipherState.KeyLength];
    private readonly CipherState _cipher = new();
    private bool _hasKey;

    public SymmetricState(NoiseHash hash, ReadOnlySpan<byte> protocolName)
    {
        _hash = hash;
        int hashLen = hash.HashLen;
        if (protocolName.Length <= hashLen)
        {
            protocolName.CopyTo(_h);
        }
        else
        {
            hash.Hash(protocolName, default, _h.AsSpan(0, hashLen));
        }

        _h.AsSpan(0, hashLen).CopyTo(_ck);
    }

    public NoiseHash HashFunction => _hash;

    public bool HasKey => _hasKey;

    public ReadOnlySpan<byte> HandshakeHash => _h.AsSpan(0, _hash.HashLen);

    public void MixKey(ReadOnlySpan<byte> inputKeyMaterial)
    {
        int hashLen = _hash.HashLen;
        Span<byte> tempK = stackalloc byte[NoiseHash.MaxHashLen];
        _hash.Hkdf(_ck.AsSpan(0, hashLen), inputKeyMaterial, _ck.AsSpan(0, hashLen), tempK[..hashLen], default);
        SetKey(tempK[..CipherState.KeyLength], 0);
        tempK.Clear();
    }

    public void MixHash(ReadOnlySpan<byte> data)
    {
        Span<byte> h = _h.AsSpan(0, _hash.HashLen);
        _hash.Hash(h, data, h);
    }

    public void MixKeyAndHash(ReadOnlySpan<byte> inputKeyMaterial)
    {
        int hashLen = _hash.HashLen;
        Span<byte> tempH = stackalloc byte[NoiseHash.MaxHashLen];
        Span<byte> tempK = stackalloc byte[NoiseHash.MaxHashLen];
        _hash.Hkdf(_ck.AsSpan(0, hashLen), inputKeyMaterial, _ck.AsSpan(0, hashLen), tempH[..hashLen], tempK[..hashLen]);
        MixHash(tempH[..hashLen]);
        SetKey(tempK[..CipherState.KeyLength], 0);
        tempK.Clear();
    }

    public int EncryptAndHash(ReadOnlySpan<byte> plaintext, Span<byte> destination)
    {
        int n = _cipher.EncryptWithAd(HandshakeHash, plaintext, destination);
        MixHash(destination[..n]);
        return n;
    }

    /// <summary>Returns -1 when the ciphertext does not authenticate.</summary>
    public int DecryptAndHash(ReadOnlySpan<byte> ciphertext, Span<byte> destination)
    {
        // Ciphertext may alias nothing in destination; MixHash must see the ciphertext before it is overwritten.
        int n = _cipher.DecryptWithAd(HandshakeHash, ciphertext, destination);
        if (n < 0)
        {
            return -1;
        }

        MixHash(ciphertext);
        return n;
    }

    public (CipherState First, CipherState Second) Split()
    {
        int hashLen = _hash.HashLen;
        Span<byte> k1 = stackalloc byte[NoiseHash.MaxHashLen];
        Span<byte> k2 = stackalloc byte[NoiseHash.MaxHashLen];
        _hash.Hkdf(_ck.AsSpan(0, hashLen), default, k1[..hashLen], k2[..hashLen], default);
        var c1 = new CipherState();
        var c2 = new CipherState();
        c1.InitializeKey(k1[..CipherState.KeyLength]);
        c2.InitializeKey(k2[..CipherState.KeyLength]);
        k1.Clear();
        k2.Clear();
        return (c1, c2);
    }

    /// <summary>Copies ck, h, k, n into <paramref name="snapshot"/> (at least 2·64 + 32 + 9 bytes).</summary>
    public void Save(Span<byte> snapshot)
    {
        _ck.CopyTo(snapshot);
        _h.CopyTo(snapshot[NoiseHash.MaxHashLen..]);
        _k.CopyTo(snapshot[(2 * NoiseHash.MaxHashLen)..]);
        int at = (2 * NoiseHash.MaxHashLen) + CipherState.KeyLength;
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(snapshot[at..], _cipher.Nonce);
        snapshot[at + 8] = _hasKey ? (byte)1 : (byte)0;
    }

    /// <summary>Returns to a state taken by <see cref="Save"/>.</summary>
    public void Restore(ReadOnlySpan<byte> snapshot)
    {
        snapshot[..NoiseHash.MaxHashLen].CopyTo(_ck);
        snapshot.Slice(NoiseHash.MaxHashLen, NoiseHash.MaxHashLen).CopyTo(_h);
        int at = (2 * NoiseHash.MaxHashLen) + CipherState.KeyLength;
        ulong nonce = System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(snapshot[at..]);
        bool hadKey = snapshot[at + 8] == 1;
        ReadOnlySpan<byte> key = snapshot.Slice(2 * NoiseHash.MaxHashLen, CipherState.KeyLength);
        if (hadKey)
        {
            if (!_hasKey || !key.SequenceEqual(_k))
            {
                SetKey(key, nonce);
            }

            _cipher.Nonce = nonce;
        }
        else if (_hasKey)
        {
            _cipher.Dispose();
            _k.AsSpan().Clear();
            _hasKey = false;
        }
    }

    /// <summary>Bytes needed by <see cref="Save"/>.</summary>
    public const int SnapshotLength = (2 * NoiseHash.MaxHashLen) + CipherState.KeyLength + 9;

    public void Dispose()
    {
        _cipher.Dispose();
        _ck.AsSpan().Clear();
        _k.AsSpan().Clear();
    }

    private void SetKey(ReadOnlySpan<byte> key, ulong nonce)
    {
        key.CopyTo(_k);
        _cipher.InitializeKey(key);
        _cipher.Nonce = nonce;
        _hasKey = true;
    }
}
