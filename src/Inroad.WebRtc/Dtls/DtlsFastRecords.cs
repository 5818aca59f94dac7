using System.Buffers.Binary;
using System.Reflection;
using System.Security.Cryptography;
using Org.BouncyCastle.Tls;

namespace Inroad.WebRtc.Dtls;

/// <summary>
/// DTLS 1.2 application_data records with AES-GCM (RFC 5288/6347), sealed and opened in place after
/// BouncyCastle finished the handshake: one AEAD call per record (<see cref="Aes128GcmIntrinsics"/> for AES-128
/// where the CPU has AES-NI, else <see cref="AesGcm"/>), no allocation, no copy.
/// <para>
/// The nonce must never repeat under one key, and BouncyCastle still writes in the same epoch (close_notify,
/// alerts, a retransmitted final flight), so sealing takes its sequence numbers from BouncyCastle's own write
/// epoch (<c>DtlsEpoch.AllocateSequenceNumber</c>, found by reflection on the pinned 2.7.0) under the
/// connection's record lock: both writers draw from one counter. When anything here does not match
/// (another cipher, another BouncyCastle), <see cref="TryCreate"/> returns null and records stay in BouncyCastle.
/// </para>
/// Opening only takes datagrams that are exactly one application_data record of the current read epoch; the
/// rest (handshake retransmissions, alerts, several records in one datagram) go to BouncyCastle. Replays are
/// refused with the RFC 6347 §4.1.2.6 sliding window (64 records).
/// </summary>
internal sealed class DtlsFastRecords : IDisposable
{
    public const int Overhead = HeaderLength + ExplicitNonceLength + TagLength;
    private const int HeaderLength = 13;
    private const int ExplicitNonceLength = 8;
    private const int TagLength = 16;
    private const byte ApplicationData = 23;
    private const BindingFlags Private = BindingFlags.NonPublic | BindingFlags.Instance;

    private readonly AesGcm _seal;
    private readonly AesGcm _open;
    private readonly Aes128GcmIntrinsics? _sealFast; // AES-128 on AES-NI: no OpenSSL call per record
    private readonly Aes128GcmIntrinsics? _openFast;
    private readonly byte[] _writeSalt;
    private readonly byte[] _readSalt;
    private readonly Func<long> _allocateSequence;
    private readonly ushort _writeEpoch;
    private readonly ushort _readEpoch;
    private readonly ushort _version;
    private long _latest = -1; // receive thread only
    private ulong _window; // bit i: _latest - i was seen

    private DtlsFastRecords(byte[] writeKey, byte[] writeSalt, byte[] readKey, byte[] readSalt, Func<long> allocate, int writeEpoch, int readEpoch, ushort version)
    {
        _seal = new AesGcm(writeKey, TagLength);
        _open = new AesGcm(readKey, TagLength);
        if (Aes128GcmIntrinsics.IsSupported && writeKey.Length == 16 && readKey.Length == 16)
        {
            _sealFast = new Aes128GcmIntrinsics(writeKey);
            _openFast = new Aes128GcmIntrinsics(readKey);
        }
        _writeSalt = writeSalt;
        _readSalt = readSalt;
        _allocateSequence = allocate;
        _writeEpoch = (ushort)writeEpoch;
        _readEpoch = (ushort)readEpoch;
        _version = version;
    }

    /// <summary>Records sealed and opened here (for tests and statistics).</summary>
    public long Sealed { get; private set; }

    /// <inheritdoc cref="Sealed"/>
    public long Opened { get; private set; }

    /// <summary>The fast path for <paramref name="dtls"/>, or null when its record layer is not one we can share.</summary>
    public static DtlsFastRecords? TryCreate(DtlsTransport dtls, NetAesGcmTlsCrypto crypto)
    {
        try
        {
            object? recordLayer = typeof(DtlsTransport).GetField("m_recordLayer", Private)?.GetValue(dtls);
            Type? layerType = recordLayer?.GetType();
            object? write = layerType?.GetField("m_writeEpoch", Private)?.GetValue(recordLayer);
            object? read = layerType?.GetField("m_readEpoch", Private)?.GetValue(recordLayer);
            if (write is null || read is null)
            {
                return null;
            }

            Type epochType = write.GetType();
            MethodInfo? allocate = epochType.GetMethod("AllocateSequenceNumber", Private | BindingFlags.Public);
            PropertyInfo? epochNumber = epochType.GetProperty("Epoch", Private | BindingFlags.Public);
            PropertyInfo? cipherProperty = epochType.GetProperty("Cipher", Private | BindingFlags.Public);
            if (allocate is null || allocate.ReturnType != typeof(long) || allocate.GetParameters().Length != 0 || epochNumber is null || cipherProperty is null)
            {
                return null;
            }

            int writeEpoch = (int)epochNumber.GetValue(write)!;
            int readEpoch = (int)epochNumber.GetValue(read)!;
            object? writeCipher = cipherProperty.GetValue(write);
            object? readCipher = cipherProperty.GetValue(read);
            if (writeEpoch is < 1 or > 0xFFFF || readEpoch is < 1 or > 0xFFFF)
            {
                return null;
            }

            NetAesGcmCipherImpl? encrypt = null;
            NetAesGcmCipherImpl? decrypt = null;
            lock (crypto.Ciphers)
            {
                foreach (var (cipher, e, d) in crypto.Ciphers)
                {
                    if (ReferenceEquals(cipher, writeCipher))
                    {
                        encrypt = e;
                    }

                    if (ReferenceEquals(cipher, readCipher))
                    {
                        decrypt = d;
                    }
                }
            }

            if (encrypt is null || decrypt is null || !encrypt.TryGetKeyAndSalt(out byte[] writeKey, out byte[] writeSalt) || !decrypt.TryGetKeyAndSalt(out byte[] readKey, out byte[] readSalt))
            {
                return null;
            }

            var allocator = allocate.CreateDelegate<Func<long>>(write);
            return new DtlsFastRecords(writeKey, writeSalt, readKey, readSalt, allocator, writeEpoch, readEpoch, 0xFEFD);
        }
        catch (Exception ex) when (ex is MemberAccessException or TargetException or ArgumentException or InvalidCastException or CryptographicException)
        {
            return null;
        }
    }

    /// <summary>Both directions under one key and salt with a private sequence counter: for tests of the record format and the replay window.</summary>
    internal static DtlsFastRecords CreateForTest(byte[] key, byte[] salt, int epoch, long firstSequence)
    {
        long next = firstSequence;
        return new DtlsFastRecords(key, salt, key, salt, () => next++, epoch, epoch, 0xFEFD);
    }

    /// <summary>
    /// Seals <paramref name="plaintext"/> as one record into <paramref name="record"/> (at least
    /// <see cref="Overhead"/> bytes longer). Call under the connection's record lock.
    /// </summary>
    public int Seal(ReadOnlySpan<byte> plaintext, Span<byte> record)
    {
        long sequence = _allocateSequence();
        ulong seqNum = ((ulong)_writeEpoch << 48) | (ulong)sequence;
        int length = ExplicitNonceLength + plaintext.Length + TagLength;
        record[0] = ApplicationData;
        BinaryPrimitives.WriteUInt16BigEndian(record[1..], _version);
        BinaryPrimitives.WriteUInt64BigEndian(record[3..], seqNum); // epoch (2) + sequence (6)
        BinaryPrimitives.WriteUInt16BigEndian(record[11..], (ushort)length);
        BinaryPrimitives.WriteUInt64BigEndian(record[13..], seqNum); // explicit nonce = epoch + sequence, as BouncyCastle writes it

        Span<byte> nonce = stackalloc byte[12];
        _writeSalt.CopyTo(nonce);
        BinaryPrimitives.WriteUInt64BigEndian(nonce[4..], seqNum);
        Span<byte> aad = stackalloc byte[13];
        WriteAdditionalData(aad, seqNum, plaintext.Length);
        Span<byte> body = record.Slice(HeaderLength + ExplicitNonceLength, plaintext.Length);
        Span<byte> tag = record.Slice(HeaderLength + ExplicitNonceLength + plaintext.Length, TagLength);
        if (_sealFast is not null)
        {
            _sealFast.Encrypt(nonce, plaintext, body, tag, aad);
        }
        else
        {
            _seal.Encrypt(nonce, plaintext, body, tag, aad);
        }

        Sealed++;
        return HeaderLength + length;
    }

    /// <summary>
    /// Opens <paramref name="datagram"/> in place when it is exactly one application_data record of the read
    /// epoch. Returns 1 and the plaintext's range on success, 0 when the datagram is not for this path (give it to
    /// BouncyCastle), -1 when it is a forgery or replay (drop it, as DTLS does).
    /// </summary>
    public int TryOpen(Span<byte> datagram, out int plaintextOffset, out int plaintextLength)
    {
        plaintextOffset = HeaderLength + ExplicitNonceLength;
        plaintextLength = 0;
        if (datagram.Length < Overhead || datagram[0] != ApplicationData || BinaryPrimitives.ReadUInt16BigEndian(datagram[1..]) != _version
            || BinaryPrimitives.ReadUInt16BigEndian(datagram[3..]) != _readEpoch || HeaderLength + BinaryPrimitives.ReadUInt16BigEndian(datagram[11..]) != datagram.Length)
        {
            return 0;
        }

        ulong seqNum = BinaryPrimitives.ReadUInt64BigEndian(datagram[3..]);
        long sequence = (long)(seqNum & 0xFFFF_FFFF_FFFFUL);
        if (IsReplay(sequence))
        {
            return -1;
        }

        plaintextLength = datagram.Length - Overhead;
        Span<byte> nonce = stackalloc byte[12];
        _readSalt.CopyTo(nonce);
        datagram.Slice(HeaderLength, ExplicitNonceLength).CopyTo(nonce[4..]);
        Span<byte> aad = stackalloc byte[13];
        WriteAdditionalData(aad, seqNum, plaintextLength);
        Span<byte> body = datagram.Slice(plaintextOffset, plaintextLength);
        Span<byte> tag = datagram.Slice(plaintextOffset + plaintextLength, TagLength);
        if (_openFast is not null)
        {
            if (!_openFast.TryDecrypt(nonce, body, tag, body, aad))
            {
                return -1;
            }
        }
        else
        {
            try
            {
                _open.Decrypt(nonce, body, tag, body, aad);
            }
            catch (AuthenticationTagMismatchException)
            {
                return -1;
            }
        }

        MarkSeen(sequence);
        Opened++;
        return 1;
    }

    private void WriteAdditionalData(Span<byte> aad, ulong seqNum, int plaintextLength)
    {
        BinaryPrimitives.WriteUInt64BigEndian(aad, seqNum);
        aad[8] = ApplicationData;
        BinaryPrimitives.WriteUInt16BigEndian(aad[9..], _version);
        BinaryPrimitives.WriteUInt16BigEndian(aad[11..], (ushort)plaintextLength);
    }

    private bool IsReplay(long sequence)
    {
        if (sequence > _latest)
        {
            return false;
        }

        long back = _latest - sequence;
        return back >= 64 || (_window & (1UL << (int)back)) != 0;
    }

    private void MarkSeen(long sequence)
    {
        if (sequence > _latest)
        {
            long shift = sequence - _latest;
            _window = shift >= 64 ? 1UL : (_window << (int)shift) | 1UL;
            _latest = sequence;
        }
        else
        {
            _window |= 1UL << (int)(_latest - sequence);
        }
    }

    public void Dispose()
    {
        _seal.Dispose();
        _open.Dispose();
    }
}
