using Inroad.Sessions.Keys;
using Inroad.Sessions.Records;

namespace Inroad.Sessions;

/// <summary>
/// The Noise prologue (design §3.3): canonical CBOR <c>{1: "psiphon-inproxy-session", 2: 1, 3: SessionID}</c>.
/// It binds the session ID into the handshake hash, so a handshake message cannot be moved to another session.
/// </summary>
internal static class SessionPrologue
{
    public const int Version = 1;

    private const string Name = "psiphon-inproxy-session";

    public static byte[] Create(Id32 sessionId)
    {
        var writer = CborRecords.CreateWriter();
        writer.WriteStartMap(3);
        writer.WriteInt32(1);
        writer.WriteTextString(Name);
        writer.WriteInt32(2);
        writer.WriteInt32(Version);
        writer.WriteInt32(3);
        Span<byte> id = stackalloc byte[Id32.Length];
        sessionId.CopyTo(id);
        writer.WriteByteString(id);
        writer.WriteEndMap();
        return writer.Encode();
    }
}
