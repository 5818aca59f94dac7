using System.IO.Hashing;
using System.Security.Cryptography;

namespace Inroad.Sessions.Obfuscation;

/// <summary>
/// A Bloom filter over short byte strings, sized from (capacity, false-positive rate): m = −n·ln p / ln²2 bits,
/// k = round(m/n · ln 2) probes by double hashing of a keyed 128-bit XxHash3. 10 M entries at 0.1 % take
/// ~18 MB. Reads may race with writes benignly; writers are serialised by the owner.
/// </summary>
internal sealed class BloomFilter
{
    private readonly ulong[] _words;
    private readonly ulong _bits;
    private readonly int _probes;
    private readonly long _seed = BitConverter.ToInt64(RandomNumberGenerator.GetBytes(8));

    public BloomFilter(long capacity, double falsePositiveRate)
    {
        double m = Math.Ceiling(-capacity * Math.Log(falsePositiveRate) / (Math.Log(2) * Math.Log(2)));
        _bits = Math.Max(64, (ulong)m);
        _words = new ulong[(_bits + 63) / 64];
        _probes = Math.Max(1, (int)Math.Round(m / capacity * Math.Log(2)));
    }

    public int Probes => _probes;

    public long SizeInBytes => _words.LongLength * 8;

    public bool Contains(ReadOnlySpan<byte> item)
    {
        (ulong h1, ulong h2) = Hash(item);
        bool all = true;

        // No early exit: the lookup costs the same whether the item is present or not.
        for (int i = 0; i < _probes; i++)
        {
            ulong bit = (h1 + ((ulong)i * h2)) % _bits;
            all &= (Volatile.Read(ref _words[bit >> 6]) & (1UL << (int)(bit & 63))) != 0;
        }

        return all;
    }

    public void Add(ReadOnlySpan<byte> item)
    {
        (ulong h1, ulong h2) = Hash(item);
        for (int i = 0; i < _probes; i++)
        {
            ulong bit = (h1 + ((ulong)i * h2)) % _bits;
            Interlocked.Or(ref _words[bit >> 6], 1UL << (int)(bit & 63));
        }
    }

    public void Clear() => Array.Clear(_words);

    private (ulong, ulong) Hash(ReadOnlySpan<byte> item)
    {
        UInt128 h = XxHash128.HashToUInt128(item, _seed);
        return ((ulong)h, (ulong)(h >> 64) | 1);
    }
}
