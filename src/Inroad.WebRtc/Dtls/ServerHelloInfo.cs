using System.Buffers.Binary;

namespace Inroad.WebRtc.Dtls;

/// <summary>A parsed DTLS ServerHello body.</summary>
internal sealed class ServerHelloInfo
{
    public int Version { get; private init; }

    public byte[] Random { get; private init; } = [];

    public byte[] SessionId { get; private init; } = [];

    public int CipherSuite { get; private init; }

    public IReadOnlyList<HelloExtension> Extensions { get; private init; } = [];

    public byte[]? Extension(int type) => Extensions.FirstOrDefault(e => e.Type == type).Data;

    /// <summary>The RFC 8446 §4.1.3 downgrade sentinel for TLS 1.2 ("DOWNGRD\x01") ends the random.</summary>
    public bool HasDowngradeSentinel => Random.Length == 32 && Random.AsSpan(24).SequenceEqual("DOWNGRD\u0001"u8);

    /// <summary>Whether the server selected DTLS 1.3 through supported_versions.</summary>
    public bool SelectsDtls13 => Extension(ExtensionTypes.SupportedVersions) is { Length: 2 } v && v[0] == 0xfe && v[1] == 0xfc;

    public static bool TryRead(ReadOnlySpan<byte> body, out ServerHelloInfo hello)
    {
        hello = null!;
        if (body.Length < 35 || 35 + body[34] + 3 > body.Length)
        {
            return false;
        }

        int at = 35 + body[34];
        byte[] sessionId = body.Slice(35, body[34]).ToArray();
        int suite = BinaryPrimitives.ReadUInt16BigEndian(body[at..]);
        at += 3;
        var extensions = new List<HelloExtension>();
        if (at + 2 <= body.Length)
        {
            int extLength = BinaryPrimitives.ReadUInt16BigEndian(body[at..]);
            if (at + 2 + extLength != body.Length || !DtlsWire.TryReadExtensions(body.Slice(at + 2, extLength), extensions))
            {
                return false;
            }
        }

        hello = new ServerHelloInfo
        {
            Version = BinaryPrimitives.ReadUInt16BigEndian(body),
            Random = body.Slice(2, 32).ToArray(),
            SessionId = sessionId,
            CipherSuite = suite,
            Extensions = extensions,
        };
        return true;
    }
}
