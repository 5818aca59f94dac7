using System.Buffers.Binary;
using System.Security.Cryptography;
using Inroad.WebRtc.Dtls;

namespace Inroad.WebRtc.Tests.Dtls;

/// <summary>The in-place AES-GCM record path: format, forgeries, replays, and what it leaves to BouncyCastle.</summary>
public sealed class DtlsFastRecordsTests
{
    private static readonly byte[] Key = Enumerable.Range(1, 16).Select(i => (byte)i).ToArray();
    private static readonly byte[] Salt = [9, 8, 7, 6];

    [Fact]
    public void A_sealed_record_has_the_rfc_5288_layout_and_opens_in_place()
    {
        using var records = DtlsFastRecords.CreateForTest(Key, Salt, epoch: 1, firstSequence: 5);
        byte[] plaintext = new byte[1200];
        new Random(1).NextBytes(plaintext);
        byte[] record = new byte[plaintext.Length + DtlsFastRecords.Overhead];
        int n = records.Seal(plaintext, record);
        Assert.Equal(record.Length, n);
        Assert.Equal(23, record[0]);
        Assert.Equal(0xFEFD, BinaryPrimitives.ReadUInt16BigEndian(record.AsSpan(1)));
        Assert.Equal(1, BinaryPrimitives.ReadUInt16BigEndian(record.AsSpan(3)));
        Assert.Equal(5UL, BinaryPrimitives.ReadUInt64BigEndian(record.AsSpan(3)) & 0xFFFF_FFFF_FFFF);
        Assert.Equal(n - 13, BinaryPrimitives.ReadUInt16BigEndian(record.AsSpan(11)));

        // Independent check with AesGcm: nonce = salt + explicit nonce, AAD = seq + type + version + plaintext length.
        byte[] nonce = [.. Salt, .. record.AsSpan(13, 8)];
        byte[] aad = [.. record.AsSpan(3, 8), 23, 0xFE, 0xFD, (byte)(plaintext.Length >> 8), (byte)plaintext.Length];
        byte[] check = new byte[plaintext.Length];
        using (var gcm = new AesGcm(Key, 16))
        {
            gcm.Decrypt(nonce, record.AsSpan(21, plaintext.Length), record.AsSpan(21 + plaintext.Length, 16), check, aad);
        }

        Assert.Equal(plaintext, check);
        Assert.Equal(1, records.TryOpen(record, out int offset, out int length));
        Assert.Equal(plaintext, record.AsSpan(offset, length).ToArray());
    }

    [Fact]
    public void Forgeries_and_replays_are_refused_and_other_records_are_left_to_bouncycastle()
    {
        using var records = DtlsFastRecords.CreateForTest(Key, Salt, epoch: 1, firstSequence: 0);
        byte[][] sealedRecords = Enumerable.Range(0, 100).Select(i =>
        {
            byte[] r = new byte[64 + DtlsFastRecords.Overhead];
            records.Seal(new byte[64], r);
            return r;
        }).ToArray();

        byte[] Copy(int i) => (byte[])sealedRecords[i].Clone();
        Assert.Equal(1, records.TryOpen(Copy(50), out _, out _));
        Assert.Equal(-1, records.TryOpen(Copy(50), out _, out _)); // replay
        Assert.Equal(1, records.TryOpen(Copy(49), out _, out _)); // late but inside the window
        Assert.Equal(1, records.TryOpen(Copy(99), out _, out _));
        Assert.Equal(-1, records.TryOpen(Copy(20), out _, out _)); // older than the 64-record window
        Assert.Equal(1, records.TryOpen(Copy(40), out _, out _));

        byte[] flipped = Copy(60);
        flipped[30] ^= 1;
        Assert.Equal(-1, records.TryOpen(flipped, out _, out _));
        Assert.Equal(1, records.TryOpen(Copy(60), out _, out _)); // the forgery did not burn the sequence number

        byte[] handshake = Copy(61);
        handshake[0] = 22;
        Assert.Equal(0, records.TryOpen(handshake, out _, out _));
        byte[] otherEpoch = Copy(62);
        otherEpoch[4] = 2;
        Assert.Equal(0, records.TryOpen(otherEpoch, out _, out _));
        byte[] twoRecords = [.. Copy(63), .. Copy(64)];
        Assert.Equal(0, records.TryOpen(twoRecords, out _, out _));
        Assert.Equal(0, records.TryOpen(Copy(65).AsSpan(0, 20).ToArray(), out _, out _));
    }
}
