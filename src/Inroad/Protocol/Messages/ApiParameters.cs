using System.Formats.Cbor;
using Inroad.Sessions.Records;

namespace Inroad.Protocol.Messages;

/// <summary>
/// The base API parameters a proxy or client reports (a packed int-keyed map). Only the ones with broker
/// logic are typed: 7 sponsor ID (sponsor → common compartment), 8 client version, 9 platform,
/// 19 fronting provider ID (long-poll clamping), 40 network type (mobile + unknown NAT ⇒ CGNAT).
/// Unknown keys are skipped on decode.
/// </summary>
internal sealed record ApiParameters
{
    public string? SponsorId { get; init; }

    public string? ClientVersion { get; init; }

    public string? ClientPlatform { get; init; }

    public string? FrontingProviderId { get; init; }

    public NetworkType NetworkType { get; init; }

    public void WriteCbor(CborWriter writer)
    {
        writer.WriteStartMap(null);
        writer.WriteField(7, SponsorId);
        writer.WriteField(8, ClientVersion);
        writer.WriteField(9, ClientPlatform);
        writer.WriteField(19, FrontingProviderId);
        writer.WriteField(40, (long)NetworkType);
        writer.WriteEndMap();
    }

    public static ApiParameters Read(CborReader reader)
    {
        string? sponsor = null, version = null, platform = null, fronting = null;
        NetworkType network = NetworkType.Unknown;
        MessageCbor.ReadMap(reader, key =>
        {
            switch (key)
            {
                case 7: sponsor = reader.ReadTextString(); break;
                case 8: version = reader.ReadTextString(); break;
                case 9: platform = reader.ReadTextString(); break;
                case 19: fronting = reader.ReadTextString(); break;
                case 40: network = (NetworkType)Math.Clamp(reader.ReadInt32(), 0, 4); break;
                default: reader.SkipValue(); break;
            }
        });
        return new ApiParameters { SponsorId = sponsor, ClientVersion = version, ClientPlatform = platform, FrontingProviderId = fronting, NetworkType = network };
    }
}
