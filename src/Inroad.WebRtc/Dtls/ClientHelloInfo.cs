using System.Buffers.Binary;

namespace Inroad.WebRtc.Dtls;

/// <summary>A parsed DTLS ClientHello body (RFC 6347 §4.2.1): what fingerprinting tools (JA3, JA4) read.</summary>
internal sealed class ClientHelloInfo
{
    public int Version { get; private init; }

    public byte[] Random { get; private init; } = [];

    public byte[] SessionId { get; private init; } = [];

    public byte[] Cookie { get; private init; } = [];

    public IReadOnlyList<int> CipherSuites { get; private init; } = [];

    public byte[] CompressionMethods { get; private init; } = [];

    public IReadOnlyList<HelloExtension> Extensions { get; private init; } = [];

    public byte[]? Extension(int type) => Extensions.FirstOrDefault(e => e.Type == type).Data;

    public static bool TryRead(ReadOnlySpan<byte> body, out ClientHelloInfo hello) => TryRead(body, out hello, out _);

    /// <summary>Parses a ClientHello body; <paramref name="extensionsStart"/> is the offset of the extensions length field.</summary>
    public static bool TryRead(ReadOnlySpan<byte> body, out ClientHelloInfo hello, out int extensionsStart)
    {
        hello = null!;
        extensionsStart = 0;
        int at = 0;
        if (body.Length < 2 + 32 + 1)
        {
            return false;
        }

        int version = BinaryPrimitives.ReadUInt16BigEndian(body);
        byte[] random = body.Slice(2, 32).ToArray();
        at = 34;
        if (!TryReadVector8(body, ref at, out byte[] sessionId) || !TryReadVector8(body, ref at, out byte[] cookie))
        {
            return false;
        }

        if (at + 2 > body.Length)
        {
            return false;
        }

        int suitesLength = BinaryPrimitives.ReadUInt16BigEndian(body[at..]);
        at += 2;
        if (suitesLength % 2 != 0 || at + suitesLength > body.Length)
        {
            return false;
        }

        var suites = new int[suitesLength / 2];
        for (int i = 0; i < suites.Length; i++)
        {
            suites[i] = BinaryPrimitives.ReadUInt16BigEndian(body[(at + (2 * i))..]);
        }

        at += suitesLength;
        if (!TryReadVector8(body, ref at, out byte[] compression))
        {
            return false;
        }

        var extensions = new List<HelloExtension>();
        extensionsStart = at;
        if (at + 2 <= body.Length)
        {
            int extLength = BinaryPrimitives.ReadUInt16BigEndian(body[at..]);
            if (at + 2 + extLength != body.Length || !DtlsWire.TryReadExtensions(body.Slice(at + 2, extLength), extensions))
            {
                return false;
            }
        }
        else if (at != body.Length)
        {
            return false;
        }

        hello = new ClientHelloInfo
        {
            Version = version,
            Random = random,
            SessionId = sessionId,
            Cookie = cookie,
            CipherSuites = suites,
            CompressionMethods = compression,
            Extensions = extensions,
        };
        return true;
    }

    /// <summary>The JA3 string ("version,suites,extensions,groups,point formats"); sorted extensions give JA3N.</summary>
    public string Ja3String(bool sortExtensions)
    {
        var types = Extensions.Select(e => e.Type);
        if (sortExtensions)
        {
            types = types.Order();
        }

        byte[]? groups = Extension(ExtensionTypes.SupportedGroups);
        byte[]? formats = Extension(ExtensionTypes.EcPointFormats);
        var groupList = new List<int>();
        if (groups is { Length: >= 2 })
        {
            for (int i = 2; i + 1 < groups.Length; i += 2)
            {
                groupList.Add(groups[i] << 8 | groups[i + 1]);
            }
        }

        var formatList = formats is { Length: >= 1 } ? formats.Skip(1).Select(b => (int)b) : [];
        return string.Join(
            ',',
            Version,
            string.Join('-', CipherSuites),
            string.Join('-', types),
            string.Join('-', groupList),
            string.Join('-', formatList));
    }

    private static bool TryReadVector8(ReadOnlySpan<byte> body, ref int at, out byte[] value)
    {
        value = [];
        if (at + 1 > body.Length || at + 1 + body[at] > body.Length)
        {
            return false;
        }

        value = body.Slice(at + 1, body[at]).ToArray();
        at += 1 + body[at];
        return true;
    }
}
