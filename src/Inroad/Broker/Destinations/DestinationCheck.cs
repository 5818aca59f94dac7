using System.Net;

namespace Inroad.Broker.Destinations;

/// <summary>
/// Decides whether a client may be proxied to the destination it names (design §4.6): the server entry
/// must carry a valid signature by the network's key, its tag must be currently valid (a decommissioned
/// server's recycled IP is no longer ours), and the requested protocol/port must be one of the entry's
/// in-proxy listeners at the entry's own address. Any failure is Limited (not 404), so an honest client
/// with a stale entry keeps its broker.
/// </summary>
internal sealed class DestinationCheck
{
    private readonly byte[] _networkPublicKey;
    private readonly Func<string, bool> _isValidTag;

    /// <summary>Creates the check with the network's Ed25519 signing public key and a tag-validity callback.</summary>
    public DestinationCheck(ReadOnlySpan<byte> networkPublicKey, Func<string, bool> isValidTag)
    {
        ArgumentNullException.ThrowIfNull(isValidTag);
        _networkPublicKey = networkPublicKey.ToArray();
        _isValidTag = isValidTag;
    }

    /// <summary>Checks a client's destination; on success returns the verified entry.</summary>
    public DestinationVerdict Check(ReadOnlyMemory<byte> signedEntry, int networkProtocol, string? destinationAddress, out ServerEntry? entry)
    {
        if (!SignedServerEntry.TryVerify(signedEntry, _networkPublicKey, out entry))
        {
            return DestinationVerdict.BadSignature;
        }

        if (string.IsNullOrEmpty(entry!.Tag) || !_isValidTag(entry.Tag))
        {
            return DestinationVerdict.InvalidTag;
        }

        if (entry.SessionPublicKey.Length != 32 || entry.ObfuscationSecret.Length != 32)
        {
            return DestinationVerdict.MissingKeys;
        }

        // Host names would mean a fronted destination, which this broker does not allow.
        if (!IPEndPoint.TryParse(destinationAddress ?? "", out IPEndPoint? endpoint)
            || !IPAddress.TryParse(entry.IpAddress, out IPAddress? entryAddress)
            || !endpoint.Address.Equals(entryAddress)
            || destinationAddress!.IndexOf(':', StringComparison.Ordinal) < 0)
        {
            return DestinationVerdict.WrongAddress;
        }

        foreach (InproxyCapability c in entry.Capabilities)
        {
            if (c.NetworkProtocol == networkProtocol && c.Port == endpoint.Port && c.Protocol.StartsWith("INPROXY-WEBRTC-", StringComparison.Ordinal))
            {
                return DestinationVerdict.Allowed;
            }
        }

        return DestinationVerdict.NoCapability;
    }
}
