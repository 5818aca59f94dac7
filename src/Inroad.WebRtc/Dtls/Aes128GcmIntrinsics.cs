using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using System.Security.Cryptography;
using Aes = System.Runtime.Intrinsics.X86.Aes;

namespace Inroad.WebRtc.Dtls;

/// <summary>
/// AES-128-GCM (NIST SP 800-38D) with a 12-byte nonce and a 16-byte tag, computed with AES-NI and PCLMULQDQ in
/// managed code. Why: <see cref="AesGcm"/> runs on OpenSSL 3.0 here, whose per-call set-up (ERR_clear_error
/// freeing its error slots, parameter lookups by name) costs more than sealing a 1,200-byte record itself
/// (profile of the bulk path, datapath-limits.md). The arithmetic is the textbook one: CTR with AES rounds on
/// the AES unit, GHASH on byte-reversed blocks with a carry-less multiply, shift and reduction modulo
/// x^128 + x^7 + x^2 + x + 1. Cross-checked against <see cref="AesGcm"/> in the tests. Use only where
/// <see cref="IsSupported"/>; not thread-safe for one instance (no state changes, but keep one per direction).
/// </summary>
internal sealed class Aes128GcmIntrinsics
{
    private readonly Vector128<byte>[] _keys = new Vector128<byte>[11];
    private readonly Vector128<byte> _h; // hash key, byte-reversed
    private readonly Vector128<byte> _h2; // its powers, for four blocks per reduction
    private readonly Vector128<byte> _h3;
    private readonly Vector128<byte> _h4;

    public Aes128GcmIntrinsics(ReadOnlySpan<byte> key)
    {
        if (key.Length != 16)
        {
            throw new ArgumentException("AES-128 takes a 16-byte key.", nameof(key));
        }

        if (!IsSupported)
        {
            throw new PlatformNotSupportedException("AES-NI and PCLMULQDQ are required.");
        }

        Expand(Vector128.Create(key), _keys);
        _h = Reverse(EncryptBlock(Vector128<byte>.Zero));
        _h2 = Multiply(_h, _h);
        _h3 = Multiply(_h2, _h);
        _h4 = Multiply(_h3, _h);
    }

    public static bool IsSupported => Aes.IsSupported && Pclmulqdq.IsSupported && Ssse3.IsSupported;

    /// <summary>Encrypts <paramref name="plaintext"/> into <paramref name="ciphertext"/> (same length; may be the same memory) and writes the tag.</summary>
    public void Encrypt(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> plaintext, Span<byte> ciphertext, Span<byte> tag, ReadOnlySpan<byte> associatedData)
    {
        CheckSizes(nonce, plaintext.Length, ciphertext.Length, tag.Length);
        Vector128<byte> j0 = CounterBlock(nonce, 1);
        Ctr(nonce, plaintext, ciphertext);
        Vector128<byte> s = Ghash(associatedData, ciphertext[..plaintext.Length]);
        (Reverse(s) ^ EncryptBlock(j0)).CopyTo(tag);
    }

    /// <summary>
    /// Checks the tag over <paramref name="associatedData"/> and <paramref name="ciphertext"/> first, and only then
    /// decrypts into <paramref name="plaintext"/> (which may be the same memory). False, with nothing written, when the tag is wrong.
    /// </summary>
    public bool TryDecrypt(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> tag, Span<byte> plaintext, ReadOnlySpan<byte> associatedData)
    {
        CheckSizes(nonce, ciphertext.Length, plaintext.Length, tag.Length);
        Vector128<byte> j0 = CounterBlock(nonce, 1);
        Vector128<byte> s = Ghash(associatedData, ciphertext);
        Span<byte> expected = stackalloc byte[16];
        (Reverse(s) ^ EncryptBlock(j0)).CopyTo(expected);
        if (!CryptographicOperations.FixedTimeEquals(expected, tag))
        {
            return false;
        }

        Ctr(nonce, ciphertext, plaintext);
        return true;
    }

    private static void CheckSizes(ReadOnlySpan<byte> nonce, int inputLength, int outputLength, int tagLength)
    {
        if (nonce.Length != 12 || tagLength != 16 || outputLength < inputLength)
        {
            throw new ArgumentException("GCM here takes a 12-byte nonce, a 16-byte tag and an output as long as the input.");
        }
    }

    private static Vector128<byte> CounterBlock(ReadOnlySpan<byte> nonce, uint counter)
    {
        Span<byte> block = stackalloc byte[16];
        nonce.CopyTo(block);
        BinaryPrimitives.WriteUInt32BigEndian(block[12..], counter);
        return Vector128.Create<byte>(block);
    }

    private void Ctr(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> input, Span<byte> output)
    {
        Vector128<uint> counter = CounterBlock(nonce, 2).AsUInt32();
        uint next = 2;
        int offset = 0;
        Vector128<byte>[] k = _keys;
        while (input.Length - offset >= 64)
        {
            Vector128<byte> c0 = counter.WithElement(3, BinaryPrimitives.ReverseEndianness(next)).AsByte() ^ k[0];
            Vector128<byte> c1 = counter.WithElement(3, BinaryPrimitives.ReverseEndianness(next + 1)).AsByte() ^ k[0];
            Vector128<byte> c2 = counter.WithElement(3, BinaryPrimitives.ReverseEndianness(next + 2)).AsByte() ^ k[0];
            Vector128<byte> c3 = counter.WithElement(3, BinaryPrimitives.ReverseEndianness(next + 3)).AsByte() ^ k[0];
            for (int r = 1; r < 10; r++)
            {
                c0 = Aes.Encrypt(c0, k[r]);
                c1 = Aes.Encrypt(c1, k[r]);
                c2 = Aes.Encrypt(c2, k[r]);
                c3 = Aes.Encrypt(c3, k[r]);
            }

            (Aes.EncryptLast(c0, k[10]) ^ Vector128.Create(input.Slice(offset, 16))).CopyTo(output[offset..]);
            (Aes.EncryptLast(c1, k[10]) ^ Vector128.Create(input.Slice(offset + 16, 16))).CopyTo(output[(offset + 16)..]);
            (Aes.EncryptLast(c2, k[10]) ^ Vector128.Create(input.Slice(offset + 32, 16))).CopyTo(output[(offset + 32)..]);
            (Aes.EncryptLast(c3, k[10]) ^ Vector128.Create(input.Slice(offset + 48, 16))).CopyTo(output[(offset + 48)..]);
            offset += 64;
            next += 4;
        }

        Span<byte> ks = stackalloc byte[16];
        while (offset < input.Length)
        {
            Vector128<byte> keystream = EncryptBlock(counter.WithElement(3, BinaryPrimitives.ReverseEndianness(next)).AsByte());
            int n = Math.Min(16, input.Length - offset);
            if (n == 16)
            {
                (keystream ^ Vector128.Create(input.Slice(offset, 16))).CopyTo(output[offset..]);
            }
            else
            {
                keystream.CopyTo(ks);
                for (int i = 0; i < n; i++)
                {
                    output[offset + i] = (byte)(input[offset + i] ^ ks[i]);
                }
            }

            offset += n;
            next++;
        }
    }

    private Vector128<byte> Ghash(ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> ciphertext)
    {
        Vector128<byte> x = Vector128<byte>.Zero;
        x = Absorb(x, associatedData);
        x = Absorb(x, ciphertext);
        Span<byte> lengths = stackalloc byte[16];
        BinaryPrimitives.WriteUInt64BigEndian(lengths, (ulong)associatedData.Length * 8);
        BinaryPrimitives.WriteUInt64BigEndian(lengths[8..], (ulong)ciphertext.Length * 8);
        return Multiply(x ^ Reverse(Vector128.Create<byte>(lengths)), _h);
    }

    private Vector128<byte> Absorb(Vector128<byte> x, ReadOnlySpan<byte> data)
    {
        int offset = 0;
        while (data.Length - offset >= 64)
        {
            // X' = (X + B0)·H^4 + B1·H^3 + B2·H^2 + B3·H: four independent products, one reduction
            ProductUnreduced(x ^ Reverse(Vector128.Create(data.Slice(offset, 16))), _h4, out Vector128<ulong> lo, out Vector128<ulong> hi);
            ProductUnreduced(Reverse(Vector128.Create(data.Slice(offset + 16, 16))), _h3, out Vector128<ulong> lo1, out Vector128<ulong> hi1);
            ProductUnreduced(Reverse(Vector128.Create(data.Slice(offset + 32, 16))), _h2, out Vector128<ulong> lo2, out Vector128<ulong> hi2);
            ProductUnreduced(Reverse(Vector128.Create(data.Slice(offset + 48, 16))), _h, out Vector128<ulong> lo3, out Vector128<ulong> hi3);
            x = Reduce(lo ^ lo1 ^ lo2 ^ lo3, hi ^ hi1 ^ hi2 ^ hi3);
            offset += 64;
        }

        while (data.Length - offset >= 16)
        {
            x = Multiply(x ^ Reverse(Vector128.Create(data.Slice(offset, 16))), _h);
            offset += 16;
        }

        if (offset < data.Length)
        {
            Span<byte> last = stackalloc byte[16];
            last.Clear();
            data[offset..].CopyTo(last);
            x = Multiply(x ^ Reverse(Vector128.Create<byte>(last)), _h);
        }

        return x;
    }

    private Vector128<byte> EncryptBlock(Vector128<byte> block)
    {
        Vector128<byte>[] k = _keys;
        block ^= k[0];
        for (int r = 1; r < 10; r++)
        {
            block = Aes.Encrypt(block, k[r]);
        }

        return Aes.EncryptLast(block, k[10]);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> Reverse(Vector128<byte> v) =>
        Ssse3.Shuffle(v, Vector128.Create((byte)15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0));

    /// <summary>GF(2^128) product of two byte-reversed GHASH elements, byte-reversed (carry-less multiply, shift by one, reduce).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> Multiply(Vector128<byte> a, Vector128<byte> b)
    {
        ProductUnreduced(a, b, out Vector128<ulong> lo, out Vector128<ulong> hi);
        return Reduce(lo, hi);
    }

    /// <summary>The 256-bit carry-less product (Karatsuba-free: four multiplies, middle folded in).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ProductUnreduced(Vector128<byte> a, Vector128<byte> b, out Vector128<ulong> lo, out Vector128<ulong> hi)
    {
        Vector128<ulong> a64 = a.AsUInt64();
        Vector128<ulong> b64 = b.AsUInt64();
        lo = Pclmulqdq.CarrylessMultiply(a64, b64, 0x00);
        Vector128<ulong> mid = Pclmulqdq.CarrylessMultiply(a64, b64, 0x10) ^ Pclmulqdq.CarrylessMultiply(a64, b64, 0x01);
        hi = Pclmulqdq.CarrylessMultiply(a64, b64, 0x11);
        lo ^= Sse2.ShiftLeftLogical128BitLane(mid.AsByte(), 8).AsUInt64();
        hi ^= Sse2.ShiftRightLogical128BitLane(mid.AsByte(), 8).AsUInt64();
    }

    /// <summary>Shifts a 256-bit product left by one bit (reflected order) and reduces it modulo x^128 + x^7 + x^2 + x + 1; linear, so sums of products reduce once.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> Reduce(Vector128<ulong> lo, Vector128<ulong> hi)
    {
        Vector128<uint> lo32 = lo.AsUInt32();
        Vector128<uint> hi32 = hi.AsUInt32();
        Vector128<uint> loCarry = Sse2.ShiftRightLogical(lo32, 31);
        Vector128<uint> hiCarry = Sse2.ShiftRightLogical(hi32, 31);
        lo32 = Sse2.ShiftLeftLogical(lo32, 1);
        hi32 = Sse2.ShiftLeftLogical(hi32, 1);
        Vector128<uint> crossing = Sse2.ShiftRightLogical128BitLane(loCarry.AsByte(), 12).AsUInt32();
        hiCarry = Sse2.ShiftLeftLogical128BitLane(hiCarry.AsByte(), 4).AsUInt32();
        loCarry = Sse2.ShiftLeftLogical128BitLane(loCarry.AsByte(), 4).AsUInt32();
        lo32 |= loCarry;
        hi32 |= hiCarry | crossing;

        Vector128<uint> t = Sse2.ShiftLeftLogical(lo32, 31) ^ Sse2.ShiftLeftLogical(lo32, 30) ^ Sse2.ShiftLeftLogical(lo32, 25);
        Vector128<uint> tHigh = Sse2.ShiftRightLogical128BitLane(t.AsByte(), 4).AsUInt32();
        t = Sse2.ShiftLeftLogical128BitLane(t.AsByte(), 12).AsUInt32();
        lo32 ^= t;
        Vector128<uint> u = Sse2.ShiftRightLogical(lo32, 1) ^ Sse2.ShiftRightLogical(lo32, 2) ^ Sse2.ShiftRightLogical(lo32, 7) ^ tHigh;
        lo32 ^= u;
        return (hi32 ^ lo32).AsByte();
    }

    private static void Expand(Vector128<byte> key, Vector128<byte>[] keys)
    {
        keys[0] = key;
        keys[1] = key = Step(key, Aes.KeygenAssist(key, 0x01));
        keys[2] = key = Step(key, Aes.KeygenAssist(key, 0x02));
        keys[3] = key = Step(key, Aes.KeygenAssist(key, 0x04));
        keys[4] = key = Step(key, Aes.KeygenAssist(key, 0x08));
        keys[5] = key = Step(key, Aes.KeygenAssist(key, 0x10));
        keys[6] = key = Step(key, Aes.KeygenAssist(key, 0x20));
        keys[7] = key = Step(key, Aes.KeygenAssist(key, 0x40));
        keys[8] = key = Step(key, Aes.KeygenAssist(key, 0x80));
        keys[9] = key = Step(key, Aes.KeygenAssist(key, 0x1B));
        keys[10] = Step(key, Aes.KeygenAssist(key, 0x36));
    }

    private static Vector128<byte> Step(Vector128<byte> key, Vector128<byte> assist)
    {
        Vector128<byte> t = Sse2.Shuffle(assist.AsUInt32(), 0xFF).AsByte();
        key ^= Sse2.ShiftLeftLogical128BitLane(key, 4);
        key ^= Sse2.ShiftLeftLogical128BitLane(key, 4);
        key ^= Sse2.ShiftLeftLogical128BitLane(key, 4);
        return key ^ t;
    }
}
