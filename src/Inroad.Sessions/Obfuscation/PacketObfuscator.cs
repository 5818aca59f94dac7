using System.Buffers;
using System.Security.Cryptography;
using Inroad.Sessions.Crypto;
using Inroad.Sessions.Records;

namespace Inroad.Sessions.Obfuscation;

/// <summary>
/// The obfuscation layer (design §3.4) for one root secret. A packet is
/// <c>nonce[12] ‖ AES-256-GCM(key[direction], nonce, plaintext)</c> where plaintext is
/// <c>[zig-zag varint Unix seconds, initiator→responder only] ‖ uvarint padLen ‖ padLen zero bytes ‖ record</c>.
/// Every packet is independent; the whole thing looks like random bytes of varying length.
/// <para>
/// Deobfuscation checks length, replay history, GCM tag, timestamp window and padding, and fails with one
/// bare <c>false</c> whatever went wrong. It does the same work on every path (a GCM open and both Bloom
/// lookups even for a packet already known bad), so the time to reject says little about which check failed.
/// </para>
/// Thread-safe (see <see cref="AesGcmKey"/>).
/// </summary>
internal sealed class PacketObfuscator : IDisposable
{
    /// <summary>Random GCM nonce length.</summary>
    public const int NonceLength = 12;

    /// <summary>GCM tag length.</summary>
    public const int TagLength = 16;

    /// <summary>Largest random padding.</summary>
    public const int MaxPadding = 256;

    /// <summary>Largest plaintext header: timestamp varint, padding varint, padding.</summary>
    public const int MaxPlaintextOverhead = UVarint.MaxLength + 2 + MaxPadding;

    /// <summary>Largest total overhead over the record.</summary>
    public const int MaxOverhead = NonceLength + TagLength + MaxPlaintextOverhead;

    /// <summary>Smallest valid packet: nonce, tag and a padding-length byte.</summary>
    public const int MinPacketLength = NonceLength + TagLength + 1;

    // Key derivation contexts (design §3.4; the "intiator" typo is part of the derivation).
    private static readonly byte[] InitiatorToResponderInfo = "in-proxy-session-packet-intiator-to-responder"u8.ToArray();
    private static readonly byte[] ResponderToInitiatorInfo = "in-proxy-session-packet-responder-to-initiator"u8.ToArray();

    private readonly AesGcmKey _i2r;
    private readonly AesGcmKey _r2i;
    private readonly TimeProvider _time;
    private readonly ReplayHistory? _history;
    private readonly TimeSpan _maxSkew;

    /// <param name="rootSecret">The responder's root obfuscation secret.</param>
    /// <param name="time">Clock for timestamps.</param>
    /// <param name="history">Replay history (responders only), or null.</param>
    /// <param name="maxSkew">Accepted clock difference for initiator timestamps.</param>
    public PacketObfuscator(ObfuscationSecret rootSecret, TimeProvider time, ReplayHistory? history, TimeSpan maxSkew)
    {
        ArgumentNullException.ThrowIfNull(rootSecret);
        _time = time;
        _history = history;
        _maxSkew = maxSkew;
        _i2r = DeriveKey(rootSecret, InitiatorToResponderInfo);
        _r2i = DeriveKey(rootSecret, ResponderToInitiatorInfo);
    }

    /// <summary>Obfuscates a record into one new array: the only allocation on this path.</summary>
    public byte[] Obfuscate(ReadOnlySpan<byte> record, PacketDirection direction)
    {
        int padding = Random.Shared.Next(MaxPadding + 1);
        return Obfuscate(record, direction, padding);
    }

    /// <summary>Obfuscates with a given padding length (tests use this to pin sizes).</summary>
    public byte[] Obfuscate(ReadOnlySpan<byte> record, PacketDirection direction, int paddingLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(paddingLength);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(paddingLength, MaxPadding);
        Span<byte> header = stackalloc byte[2 * UVarint.MaxLength];
        int headerLength = 0;
        if (direction == PacketDirection.InitiatorToResponder)
        {
            headerLength += UVarint.Write(header, UVarint.ZigZag(_time.GetUtcNow().ToUnixTimeSeconds()));
        }

        headerLength += UVarint.Write(header[headerLength..], (ulong)paddingLength);
        int plaintextLength = headerLength + paddingLength + record.Length;
        byte[] packet = new byte[NonceLength + plaintextLength + TagLength];
        Span<byte> nonce = packet.AsSpan(0, NonceLength);
        Keys.BufferedRandom.Fill(nonce);

        // Assemble the plaintext in place, then encrypt in place (GCM allows identical input and output).
        Span<byte> body = packet.AsSpan(NonceLength, plaintextLength);
        header[..headerLength].CopyTo(body);
        body.Slice(headerLength, paddingLength).Clear();
        record.CopyTo(body[(headerLength + paddingLength)..]);
        Key(direction).Encrypt(nonce, body, body, packet.AsSpan(NonceLength + plaintextLength, TagLength));

        return packet;
    }

    /// <summary>
    /// Opens a packet into <paramref name="buffer"/> (at least <c>packet.Length</c> bytes) and returns where the
    /// record lies in it. For the initiator→responder direction also checks the timestamp and, when a history
    /// is configured, rejects and then records replays. Never throws on network input.
    /// </summary>
    public bool TryDeobfuscate(ReadOnlySpan<byte> packet, PacketDirection direction, Span<byte> buffer, out Range record)
    {
        record = default;
        bool ok = packet.Length >= MinPacketLength && buffer.Length >= packet.Length;

        // On a too-short packet, still do a GCM open and the lookups, over a dummy of the minimum size.
        Span<byte> dummy = stackalloc byte[MinPacketLength];
        ReadOnlySpan<byte> input = ok ? packet : dummy;
        Span<byte> output = ok ? buffer : stackalloc byte[MinPacketLength];
        ReadOnlySpan<byte> nonce = input[..NonceLength];

        bool checkReplay = _history is not null && direction == PacketDirection.InitiatorToResponder;
        if (checkReplay && _history!.Contains(nonce))
        {
            ok = false;
        }

        int plaintextLength = input.Length - NonceLength - TagLength;
        Span<byte> plaintext = output[..plaintextLength];
        ok &= Key(direction).TryDecrypt(nonce, input.Slice(NonceLength, plaintextLength), input[^TagLength..], plaintext);

        int at = 0;
        if (ok && direction == PacketDirection.InitiatorToResponder)
        {
            ok = UVarint.TryRead(plaintext, out ulong zigzag, out int consumed);
            long seconds = UVarint.UnZigZag(zigzag);
            long now = _time.GetUtcNow().ToUnixTimeSeconds();
            ok &= seconds != 0 && Math.Abs(now - seconds) <= (long)_maxSkew.TotalSeconds;
            at = consumed;
        }

        if (ok)
        {
            ok = UVarint.TryRead(plaintext[at..], out ulong padding, out int consumed) && padding <= MaxPadding &&
                 (ulong)(plaintextLength - at - consumed) >= padding;
            at += consumed + (int)padding;
        }

        if (ok && checkReplay)
        {
            ok = _history!.TryAdd(nonce);
        }

        if (!ok)
        {
            plaintext.Clear();
            return false;
        }

        record = at..plaintextLength;
        return true;
    }

    /// <summary>Rents a buffer big enough to deobfuscate <paramref name="packetLength"/> bytes.</summary>
    public static byte[] RentBuffer(int packetLength) => ArrayPool<byte>.Shared.Rent(Math.Max(packetLength, MinPacketLength));

    /// <summary>Returns a buffer from <see cref="RentBuffer"/>.</summary>
    public static void ReturnBuffer(byte[] buffer) => ArrayPool<byte>.Shared.Return(buffer, clearArray: true);

    public void Dispose()
    {
        _i2r.Dispose();
        _r2i.Dispose();
    }

    private static AesGcmKey DeriveKey(ObfuscationSecret root, byte[] info)
    {
        Span<byte> key = stackalloc byte[32];
        HKDF.DeriveKey(HashAlgorithmName.SHA256, root.Bytes, key, salt: default, info);
        var derived = new AesGcmKey(key);
        CryptographicOperations.ZeroMemory(key);
        return derived;
    }

    private AesGcmKey Key(PacketDirection direction) => direction == PacketDirection.InitiatorToResponder ? _i2r : _r2i;
}
