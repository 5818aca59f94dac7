using System.Formats.Cbor;
using System.Text;
using Inroad.Protocol.Messages;
using Inroad.Sessions.Records;
using Org.BouncyCastle.Math.EC.Rfc8032;

namespace Inroad.Broker.Destinations;

/// <summary>
/// A server entry as clients carry it: <c>{1: entry CBOR, 2: Ed25519 signature}</c>. The signature covers a
/// context string and the entry bytes, by the network's signing key; clients cannot alter the address,
/// keys or capabilities without the broker noticing.
/// </summary>
internal static class SignedServerEntry
{
    private static readonly byte[] Context = Encoding.ASCII.GetBytes("inroad server entry v1\0");

    /// <summary>Ed25519 signature length.</summary>
    public const int SignatureLength = 64;

    /// <summary>Signs <paramref name="entry"/> with a 32-byte Ed25519 seed.</summary>
    public static byte[] Sign(ServerEntry entry, ReadOnlySpan<byte> signingSeed)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (signingSeed.Length != Ed25519.SecretKeySize)
        {
            throw new ArgumentException("An Ed25519 seed is 32 bytes.", nameof(signingSeed));
        }

        byte[] fields = entry.ToCbor();
        byte[] message = [.. Context, .. fields];
        byte[] signature = new byte[SignatureLength];
        Ed25519.Sign(signingSeed.ToArray(), 0, message, 0, message.Length, signature, 0);

        CborWriter writer = CborRecords.CreateWriter();
        writer.WriteStartMap(null);
        writer.WriteFixedField(1, fields);
        writer.WriteFixedField(2, signature);
        writer.WriteEndMap();
        return writer.Encode();
    }

    /// <summary>The Ed25519 public key of a 32-byte seed.</summary>
    public static byte[] PublicKeyOf(ReadOnlySpan<byte> signingSeed)
    {
        byte[] publicKey = new byte[Ed25519.PublicKeySize];
        Ed25519.GeneratePublicKey(signingSeed.ToArray(), 0, publicKey, 0);
        return publicKey;
    }

    /// <summary>
    /// Parses without checking the signature: what a client does with the entry it was given (the broker checks
    /// the signature; the server's keys in it are what the client's tunnel authenticates against).
    /// </summary>
    public static bool TryReadUnverified(ReadOnlyMemory<byte> signed, out ServerEntry? entry)
    {
        entry = null;
        return TrySplit(signed, out ReadOnlyMemory<byte> fields, out _) && ServerEntry.TryParse(fields, out entry);
    }

    /// <summary>Verifies and parses; false for a bad signature or malformed input (never throws).</summary>
    public static bool TryVerify(ReadOnlyMemory<byte> signed, ReadOnlySpan<byte> networkPublicKey, out ServerEntry? entry)
    {
        entry = null;
        if (!TrySplit(signed, out ReadOnlyMemory<byte> fields, out ReadOnlyMemory<byte> signature))
        {
            return false;
        }

        if (signature.Length != SignatureLength || networkPublicKey.Length != Ed25519.PublicKeySize)
        {
            return false;
        }

        byte[] message = [.. Context, .. fields.Span];
        return Ed25519.Verify(signature.ToArray(), 0, networkPublicKey.ToArray(), 0, message, 0, message.Length)
            && ServerEntry.TryParse(fields, out entry);
    }

    private static bool TrySplit(ReadOnlyMemory<byte> signed, out ReadOnlyMemory<byte> fields, out ReadOnlyMemory<byte> signature)
    {
        ReadOnlyMemory<byte> f = default, sig = default;
        fields = default;
        signature = default;
        try
        {
            CborReader reader = CborRecords.CreateReader(signed);
            MessageCbor.ReadMap(reader, key =>
            {
                switch (key)
                {
                    case 1: f = reader.ReadByteString(); break;
                    case 2: sig = reader.ReadByteString(); break;
                    default: reader.SkipValue(); break;
                }
            });
            if (reader.BytesRemaining != 0)
            {
                return false;
            }
        }
        catch (Exception e) when (e is CborContentException or InvalidOperationException or FormatException or OverflowException)
        {
            return false;
        }

        fields = f;
        signature = sig;
        return true;
    }
}
