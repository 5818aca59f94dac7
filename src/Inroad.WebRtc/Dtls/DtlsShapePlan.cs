using System.Security.Cryptography;
using System.Text;

namespace Inroad.WebRtc.Dtls;

/// <summary>Which side of the signaling exchange we are: each derives its DTLS shape from its own HKDF context.</summary>
public enum SignalingRole
{
    /// <summary>Wrote the SDP offer (our client).</summary>
    Offerer,

    /// <summary>Wrote the SDP answer (our proxy).</summary>
    Answerer,
}

/// <summary>
/// The replayable DTLS shape of one peer: the ClientHello profile (used when it is the DTLS client) and the
/// ServerHello extension order (used when it is the DTLS server). Derived from the client's 32-byte root
/// obfuscation secret through HKDF-SHA256 with a context per signaling role, so both peers reach their own
/// choice independently and a successful one can be replayed (in-proxy-design.md §6.3).
/// </summary>
public sealed class DtlsShapePlan
{
    private const string FingerprintContext = "inroad-dtls-fingerprint-";
    private const string RandomizationContext = "inroad-dtls-randomization-";

    private DtlsShapePlan(DtlsProfileKind kind, ClientHelloShape clientHello, IReadOnlyList<int> serverExtensionOrder)
    {
        Kind = kind;
        ClientHello = clientHello;
        ServerExtensionOrder = serverExtensionOrder;
    }

    public DtlsProfileKind Kind { get; }

    internal ClientHelloShape ClientHello { get; }

    /// <summary>Order of the non-empty ServerHello extensions (BouncyCastle always writes the empty EMS first).</summary>
    public IReadOnlyList<int> ServerExtensionOrder { get; }

    /// <summary>A plan with a fixed profile and the BoringSSL ServerHello order (a randomized profile is drawn from the OS generator).</summary>
    public static DtlsShapePlan Fixed(DtlsProfileKind kind) => Fixed(kind, null);

    /// <summary>A plan with a fixed profile and the BoringSSL ServerHello order (for tests and fixed configurations).</summary>
    internal static DtlsShapePlan Fixed(DtlsProfileKind kind, Random? random) =>
        new(kind, ClientHelloProfiles.For(kind, random ?? SeededRandom.Fresh()), BoringSslServerOrder);

    /// <summary>A plan around a hand-made shape (tests of edge cases).</summary>
    internal static DtlsShapePlan ForTest(ClientHelloShape shape) => new(shape.Kind, shape, BoringSslServerOrder);

    /// <summary>Chooses deterministically from <paramref name="rootSecret"/> (32 bytes) for <paramref name="role"/>.</summary>
    public static DtlsShapePlan Derive(ReadOnlySpan<byte> rootSecret, SignalingRole role, DtlsProfileChoice choice)
    {
        ArgumentNullException.ThrowIfNull(choice);
        choice.Validate();
        if (rootSecret.Length != 32)
        {
            throw new ArgumentException("The root obfuscation secret must be 32 bytes.", nameof(rootSecret));
        }

        string suffix = role == SignalingRole.Offerer ? "offer" : "answer";
        var selection = new SeededRandom(Expand(rootSecret, FingerprintContext + suffix));
        var shaping = new SeededRandom(Expand(rootSecret, RandomizationContext + suffix));

        DtlsProfileKind kind;
        if (choice.Allowed.Contains(DtlsProfileKind.Randomized) && selection.NextDouble() < choice.RandomizedProbability)
        {
            kind = DtlsProfileKind.Randomized;
        }
        else
        {
            var parrots = choice.Allowed.Where(k => k != DtlsProfileKind.Randomized).ToArray();
            kind = parrots.Length == 0 ? DtlsProfileKind.Randomized : parrots[selection.Next(parrots.Length)];
        }

        int[] serverOrder = [.. BoringSslServerOrder];
        shaping.Shuffle(serverOrder);
        return new DtlsShapePlan(kind, ClientHelloProfiles.For(kind, shaping), serverOrder);
    }

    /// <summary>BoringSSL's 1.2 ServerHello order after EMS: renegotiation_info, ec_point_formats, use_srtp.</summary>
    private static int[] BoringSslServerOrder => [ExtensionTypes.RenegotiationInfo, ExtensionTypes.EcPointFormats, ExtensionTypes.UseSrtp];

    private static byte[] Expand(ReadOnlySpan<byte> secret, string context)
    {
        var output = new byte[32];
        HKDF.Expand(HashAlgorithmName.SHA256, secret, output, Encoding.ASCII.GetBytes(context));
        return output;
    }
}
