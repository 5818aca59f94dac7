using System.Formats.Cbor;
using Inroad.Protocol.Messages;
using Inroad.Sessions.Records;

namespace Inroad.Broker.Destinations;

/// <summary>
/// A tunnel server's signed description: 1 tag (the server's identity in the network's inventory),
/// 2 IP address, 3 session public key (Ed25519, 32 bytes), 4 root obfuscation secret (32 bytes),
/// 5 in-proxy capabilities. Canonical CBOR, so signing and verifying see the same bytes.
/// </summary>
internal sealed record ServerEntry
{
    public string Tag { get; init; } = "";

    public string IpAddress { get; init; } = "";

    public ReadOnlyMemory<byte> SessionPublicKey { get; init; }

    public ReadOnlyMemory<byte> ObfuscationSecret { get; init; }

    public IReadOnlyList<InproxyCapability> Capabilities { get; init; } = [];

    public byte[] ToCbor()
    {
        CborWriter writer = CborRecords.CreateWriter();
        writer.WriteStartMap(null);
        writer.WriteField(1, Tag);
        writer.WriteField(2, IpAddress);
        writer.WriteField(3, SessionPublicKey.Span);
        writer.WriteField(4, ObfuscationSecret.Span);
        if (Capabilities.Count > 0)
        {
            writer.WriteInt32(5);
            writer.WriteStartArray(Capabilities.Count);
            foreach (InproxyCapability c in Capabilities)
            {
                writer.WriteStartMap(null);
                writer.WriteField(1, c.Protocol);
                writer.WriteField(2, c.NetworkProtocol);
                writer.WriteField(3, c.Port);
                writer.WriteEndMap();
            }

            writer.WriteEndArray();
        }

        writer.WriteEndMap();
        return writer.Encode();
    }

    /// <summary>Parses the canonical form; false for anything else (never throws).</summary>
    public static bool TryParse(ReadOnlyMemory<byte> cbor, out ServerEntry? entry)
    {
        entry = null;
        try
        {
            CborReader reader = CborRecords.CreateReader(cbor);
            var e = new ServerEntry();
            MessageCbor.ReadMap(reader, key =>
            {
                e = key switch
                {
                    1 => e with { Tag = reader.ReadTextString() },
                    2 => e with { IpAddress = reader.ReadTextString() },
                    3 => e with { SessionPublicKey = reader.ReadByteString() },
                    4 => e with { ObfuscationSecret = reader.ReadByteString() },
                    5 => e with { Capabilities = ReadCapabilities(reader) },
                    _ => Skip(reader, e),
                };
            });
            entry = reader.BytesRemaining == 0 ? e : null;
            return entry is not null;
        }
        catch (Exception ex) when (ex is CborContentException or InvalidOperationException or FormatException or OverflowException)
        {
            return false;
        }
    }

    private static ServerEntry Skip(CborReader reader, ServerEntry e)
    {
        reader.SkipValue();
        return e;
    }

    private static InproxyCapability[] ReadCapabilities(CborReader reader)
    {
        int? count = reader.ReadStartArray();
        if (count is null or > 64)
        {
            throw new FormatException("too many capabilities");
        }

        var list = new InproxyCapability[count.Value];
        for (int i = 0; i < list.Length; i++)
        {
            string protocol = "";
            int network = 0, port = 0;
            MessageCbor.ReadMap(reader, key =>
            {
                switch (key)
                {
                    case 1: protocol = reader.ReadTextString(); break;
                    case 2: network = reader.ReadInt32(); break;
                    case 3: port = reader.ReadInt32(); break;
                    default: reader.SkipValue(); break;
                }
            });
            list[i] = new InproxyCapability(protocol, network, port);
        }

        reader.ReadEndArray();
        return list;
    }
}
