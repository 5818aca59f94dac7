using System.Net;

namespace Inroad.Nat.PortMapping;

/// <summary>
/// An unsolicited message from the gateway to UDP port 5350: a PCP ANNOUNCE response (RFC 6887 §14.1.3, sent
/// when the server restarts or loses state) or a NAT-PMP external-address announcement (RFC 6886 §3.2.1, sent
/// when the gateway reboots or its external address changes).
/// </summary>
/// <param name="Protocol"><see cref="PortMappingProtocol.Pcp"/> or <see cref="PortMappingProtocol.NatPmp"/>.</param>
/// <param name="EpochSeconds">The server's epoch time (seconds since it last lost its mappings).</param>
/// <param name="ExternalAddress">The external address (NAT-PMP only; null for PCP).</param>
internal readonly record struct GatewayAnnouncement(PortMappingProtocol Protocol, uint EpochSeconds, IPAddress? ExternalAddress)
{
    /// <summary>
    /// Reads an announcement. False for anything else: short or long datagrams, a request (PCP R bit clear), another
    /// opcode, a non-zero result, a PCP length that is not a multiple of 4. Never throws.
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> datagram, out GatewayAnnouncement announcement)
    {
        announcement = default;
        if (datagram.Length == 12 && NatPmpCodec.TryReadExternalAddressResponse(datagram, out NatPmpExternalAddress ext))
        {
            announcement = new GatewayAnnouncement(PortMappingProtocol.NatPmp, ext.EpochSeconds, ext.Address);
            return true;
        }

        // §14.1.3: an ANNOUNCE response with result SUCCESS (only options may follow the header).
        if (PcpCodec.TryReadResponseHeader(datagram, out PcpResponseHeader h) && h.Opcode == PcpCodec.OpAnnounce && h.ResultCode == PcpCodec.ResultSuccess)
        {
            announcement = new GatewayAnnouncement(PortMappingProtocol.Pcp, h.EpochSeconds, null);
            return true;
        }

        return false;
    }
}
