using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.IO.Hashing;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Inroad.WebRtc.Ice;

/// <summary>
/// One UDP candidate of component 1 (RFC 8445 §5.1) and its SDP form (RFC 8839 §5.1). We make no TCP, relay or
/// mDNS candidates; the parser skips those of others (it returns false) rather than failing the whole SDP.
/// </summary>
internal sealed record IceCandidate(
    string Foundation,
    uint Priority,
    IPEndPoint EndPoint,
    IceCandidateType Type,
    IPEndPoint? RelatedAddress = null)
{
    public const int Component = 1;

    /// <summary>Chromium's local preference for its one network (browsers.md: 2122260223 = 126&lt;&lt;24 | 32542&lt;&lt;8 | 255).</summary>
    public const int DefaultLocalPreference = 32542;

    /// <summary>RFC 8445 §5.1.2.1: type preference, local preference, 256 − component.</summary>
    public static uint ComputePriority(IceCandidateType type, int localPreference) =>
        ((uint)type << 24) | ((uint)(localPreference & 0xFFFF) << 8) | (uint)(256 - Component);

    /// <summary>A candidate we advertise: foundation derived from type and base address as libwebrtc's is (a CRC-32 in decimal).</summary>
    public static IceCandidate CreateLocal(IceCandidateType type, IPEndPoint endPoint, IPAddress baseAddress, int localPreference, IPEndPoint? related = null)
    {
        uint crc = Crc32.HashToUInt32(Encoding.ASCII.GetBytes($"{type}|{baseAddress}|udp"));
        return new IceCandidate(crc.ToString(CultureInfo.InvariantCulture), ComputePriority(type, localPreference), endPoint, type, related);
    }

    public AddressFamily AddressFamily => EndPoint.AddressFamily;

    /// <summary>The SDP attribute value, as Chromium writes it (without the "a=" prefix).</summary>
    public string ToSdpValue()
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"candidate:{Foundation} {Component} udp {Priority} {EndPoint.Address} {EndPoint.Port} typ {TypeName(Type)}");
        if (RelatedAddress is not null)
        {
            sb.Append(CultureInfo.InvariantCulture, $" raddr {RelatedAddress.Address} rport {RelatedAddress.Port}");
        }

        sb.Append(" generation 0 network-id 1");
        return sb.ToString();
    }

    /// <summary>
    /// Parses "candidate:…" (with or without "a="). False for anything we do not use (TCP, other components,
    /// hostnames such as mDNS .local names, unknown types) and for malformed text; never throws.
    /// </summary>
    public static bool TryParse(string text, [NotNullWhen(true)] out IceCandidate? candidate)
    {
        candidate = null;
        if (text is null)
        {
            return false;
        }

        string s = text.Trim();
        if (s.StartsWith("a=", StringComparison.Ordinal))
        {
            s = s[2..];
        }

        if (!s.StartsWith("candidate:", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        string[] f = s["candidate:".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (f.Length < 8
            || f[1] != "1"
            || !f[2].Equals("udp", StringComparison.OrdinalIgnoreCase)
            || !uint.TryParse(f[3], NumberStyles.None, CultureInfo.InvariantCulture, out uint priority)
            || !IPAddress.TryParse(f[4], out IPAddress? address)
            || !ushort.TryParse(f[5], NumberStyles.None, CultureInfo.InvariantCulture, out ushort port)
            || port == 0
            || f[6] != "typ")
        {
            return false;
        }

        IceCandidateType? type = f[7] switch
        {
            "host" => IceCandidateType.Host,
            "srflx" => IceCandidateType.ServerReflexive,
            "prflx" => IceCandidateType.PeerReflexive,
            "relay" => IceCandidateType.Relay,
            _ => null,
        };
        if (type is null || address.ToString().Contains('%', StringComparison.Ordinal))
        {
            return false;
        }

        IPAddress? raddr = null;
        int rport = -1;
        for (int i = 8; i + 1 < f.Length; i += 2)
        {
            if (f[i] == "raddr" && IPAddress.TryParse(f[i + 1], out IPAddress? r))
            {
                raddr = r;
            }
            else if (f[i] == "rport" && int.TryParse(f[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out int rp) && rp <= 65535)
            {
                rport = rp;
            }
        }

        IPEndPoint? related = raddr is not null && rport >= 0 ? new IPEndPoint(raddr, rport) : null;
        candidate = new IceCandidate(f[0], priority, new IPEndPoint(address, port), type.Value, related);
        return true;
    }

    public static string TypeName(IceCandidateType type) => type switch
    {
        IceCandidateType.Host => "host",
        IceCandidateType.ServerReflexive => "srflx",
        IceCandidateType.PeerReflexive => "prflx",
        _ => "relay",
    };
}
