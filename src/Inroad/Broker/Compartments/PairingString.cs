using System.Buffers.Text;
using System.IO.Hashing;
using Inroad.Protocol;

namespace Inroad.Broker.Compartments;

/// <summary>
/// A personal compartment ID as text an operator can share: <c>inroad-pair:</c> + base64url of the 32 bytes
/// and a 2-byte checksum (catches a mistyped or truncated string before it silently matches nothing).
/// The string is a secret: whoever holds it can use the operator's proxy.
/// </summary>
internal static class PairingString
{
    private const string Prefix = "inroad-pair:";

    /// <summary>Encodes an ID.</summary>
    public static string Encode(Id32 id)
    {
        Span<byte> bytes = stackalloc byte[Id32.Length + 2];
        id.CopyTo(bytes);
        ushort check = (ushort)XxHash32.HashToUInt32(bytes[..Id32.Length]);
        bytes[Id32.Length] = (byte)(check >> 8);
        bytes[Id32.Length + 1] = (byte)check;
        return Prefix + Base64Url.EncodeToString(bytes);
    }

    /// <summary>Decodes a pairing string; false for anything malformed.</summary>
    public static bool TryDecode(string? text, out Id32 id)
    {
        id = default;
        if (text is null || !text.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return false;
        }

        Span<byte> bytes = stackalloc byte[Id32.Length + 2];
        if (!Base64Url.TryDecodeFromChars(text.AsSpan(Prefix.Length), bytes, out int written) || written != bytes.Length)
        {
            return false;
        }

        ushort check = (ushort)XxHash32.HashToUInt32(bytes[..Id32.Length]);
        return bytes[Id32.Length] == (byte)(check >> 8) && bytes[Id32.Length + 1] == (byte)check && Id32.TryRead(bytes[..Id32.Length], out id);
    }
}
