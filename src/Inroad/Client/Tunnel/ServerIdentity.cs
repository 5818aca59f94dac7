using Inroad.Broker.Destinations;
using Inroad.Sessions.Keys;
using Inroad.Sessions.Obfuscation;
using Inroad.Sessions.Streams;

namespace Inroad.Client.Tunnel;

/// <summary>What the client's secure tunnel authenticates: the server's static key and obfuscation secret, from its server entry.</summary>
internal sealed record ServerIdentity(SessionPublicKey PublicKey, ObfuscationSecret ObfuscationSecret, SecureTunnelOptions? Options = null)
{
    /// <summary>Reads the identity out of a signed server entry; throws <see cref="FormatException"/> when it has none.</summary>
    public static ServerIdentity FromSignedEntry(ReadOnlyMemory<byte> signedEntry)
    {
        if (!SignedServerEntry.TryReadUnverified(signedEntry, out ServerEntry? entry)
            || !SessionPublicKey.TryCreate(entry!.SessionPublicKey.Span, out SessionPublicKey? key)
            || entry.ObfuscationSecret.Length != ObfuscationSecret.Length)
        {
            throw new FormatException("the server entry has no valid session key and obfuscation secret");
        }

        return new ServerIdentity(key!, ObfuscationSecret.FromBytes(entry.ObfuscationSecret.Span));
    }
}
