using System.Text;

namespace Inroad.Sessions.Noise;

/// <summary>A parsed protocol name <c>Noise_PATTERN_25519_ChaChaPoly_HASH</c> (§8); only these DH and cipher are supported.</summary>
internal sealed class NoiseProtocol
{
    private NoiseProtocol(string name, NoisePattern pattern, NoiseHashFunction hash)
    {
        Name = name;
        NameBytes = Encoding.ASCII.GetBytes(name);
        Pattern = pattern;
        Hash = hash;
    }

    /// <summary>The protocol the sessions speak.</summary>
    public static NoiseProtocol XkBlake2b { get; } = Parse("Noise_XK_25519_ChaChaPoly_BLAKE2b");

    public string Name { get; }

    public byte[] NameBytes { get; }

    public NoisePattern Pattern { get; }

    public NoiseHashFunction Hash { get; }

    public static NoiseProtocol Parse(string name) =>
        TryParse(name, out NoiseProtocol? p) ? p! : throw new ArgumentException($"unsupported Noise protocol '{name}'", nameof(name));

    public static bool TryParse(string name, out NoiseProtocol? protocol)
    {
        protocol = null;
        string[] parts = name.Split('_');
        if (parts.Length != 5 || parts[0] != "Noise" || parts[2] != "25519" || parts[3] != "ChaChaPoly")
        {
            return false;
        }

        NoiseHashFunction? hash = parts[4] switch
        {
            "BLAKE2b" => NoiseHashFunction.Blake2b,
            "SHA256" => NoiseHashFunction.Sha256,
            _ => null,
        };
        if (hash is null || !NoisePattern.TryParse(parts[1], out NoisePattern? pattern))
        {
            return false;
        }

        protocol = new NoiseProtocol(name, pattern!, hash.Value);
        return true;
    }
}
