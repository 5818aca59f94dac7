using System.Security.Cryptography;
using Inroad.Sessions.Keys;

namespace Inroad.Sessions.Obfuscation;

/// <summary>
/// The 32-byte root obfuscation secret of a responder (design §3.4). Semi-secret: everyone allowed to talk to
/// the responder holds it, a censor must not. Per-direction packet keys are derived from it.
/// </summary>
public sealed class ObfuscationSecret
{
    /// <summary>Length in bytes.</summary>
    public const int Length = 32;

    private readonly byte[] _bytes;

    private ObfuscationSecret(byte[] bytes) => _bytes = bytes;

    internal ReadOnlySpan<byte> Bytes => _bytes;

    /// <summary>A new random secret.</summary>
    public static ObfuscationSecret Generate() => new(RandomNumberGenerator.GetBytes(Length));

    /// <summary>From 32 bytes.</summary>
    public static ObfuscationSecret FromBytes(ReadOnlySpan<byte> bytes) =>
        bytes.Length == Length ? new ObfuscationSecret(bytes.ToArray()) : throw new ArgumentException("an obfuscation secret is 32 bytes", nameof(bytes));

    /// <summary>Parses base64 raw std.</summary>
    public static bool TryParse(string? base64, out ObfuscationSecret? secret)
    {
        secret = Base64Raw.TryDecode(base64, Length, out byte[] bytes) ? new ObfuscationSecret(bytes) : null;
        return secret is not null;
    }

    /// <summary>Like <see cref="TryParse"/>, throwing <see cref="FormatException"/>.</summary>
    public static ObfuscationSecret Parse(string base64) =>
        TryParse(base64, out ObfuscationSecret? s) ? s! : throw new FormatException("not a valid 32-byte obfuscation secret");

    /// <summary>Base64 raw std, for configuration files.</summary>
    public string Export() => Base64Raw.Encode(_bytes);

    /// <summary>Never prints the secret.</summary>
    public override string ToString() => "ObfuscationSecret(…)";
}
