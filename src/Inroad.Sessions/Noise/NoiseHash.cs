namespace Inroad.Sessions.Noise;

/// <summary>
/// A Noise hash function with the HMAC and HKDF built on it (Noise §4.3). One instance belongs to one
/// handshake and is not thread-safe; it keeps an incremental hash so no call allocates.
/// </summary>
internal abstract class NoiseHash : IDisposable
{
    /// <summary>The largest HASHLEN we support (BLAKE2b).</summary>
    public const int MaxHashLen = 64;

    /// <summary>The largest BLOCKLEN we support (BLAKE2b).</summary>
    public const int MaxBlockLen = 128;

    public abstract int HashLen { get; }

    public abstract int BlockLen { get; }

    public static NoiseHash Create(NoiseHashFunction function) => function switch
    {
        NoiseHashFunction.Blake2b => new Blake2bNoiseHash(),
        NoiseHashFunction.Sha256 => new Sha256NoiseHash(),
        _ => throw new ArgumentOutOfRangeException(nameof(function)),
    };

    /// <summary>output = HASH(a ‖ b).</summary>
    public void Hash(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, Span<byte> output)
    {
        Append(a);
        Append(b);
        Finish(output);
    }

    /// <summary>output = HMAC-HASH(key, a ‖ b) (RFC 2104); key is at most HASHLEN bytes here.</summary>
    public void Hmac(ReadOnlySpan<byte> key, ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, Span<byte> output)
    {
        Span<byte> pad = stackalloc byte[MaxBlockLen];
        pad = pad[..BlockLen];
        pad.Clear();
        key.CopyTo(pad);
        for (int i = 0; i < pad.Length; i++)
        {
            pad[i] ^= 0x36;
        }

        Span<byte> inner = stackalloc byte[MaxHashLen];
        inner = inner[..HashLen];
        Append(pad);
        Append(a);
        Append(b);
        Finish(inner);

        for (int i = 0; i < pad.Length; i++)
        {
            pad[i] ^= 0x36 ^ 0x5c;
        }

        Append(pad);
        Append(inner);
        Finish(output);
        pad.Clear();
        inner.Clear();
    }

    /// <summary>HKDF(chaining_key, ikm, n) of Noise §4.3 with n = 2, or 3 when <paramref name="output3"/> is not empty.</summary>
    public void Hkdf(ReadOnlySpan<byte> chainingKey, ReadOnlySpan<byte> ikm, Span<byte> output1, Span<byte> output2, Span<byte> output3)
    {
        Span<byte> temp = stackalloc byte[MaxHashLen];
        temp = temp[..HashLen];
        Hmac(chainingKey, ikm, default, temp);
        ReadOnlySpan<byte> one = [0x01];
        ReadOnlySpan<byte> two = [0x02];
        ReadOnlySpan<byte> three = [0x03];
        Hmac(temp, one, default, output1);
        Hmac(temp, output1, two, output2);
        if (!output3.IsEmpty)
        {
            Hmac(temp, output2, three, output3);
        }

        temp.Clear();
    }

    public abstract void Dispose();

    protected abstract void Append(ReadOnlySpan<byte> data);

    protected abstract void Finish(Span<byte> output);
}
