using System.Formats.Cbor;
using Inroad.Sessions.Records;

namespace Inroad.Protocol.Messages;

/// <summary>
/// Client → broker (record 7): 1 metrics, 2 common compartment IDs, 3 personal compartment IDs (one of
/// 2/3 only), 4 offer SDP, 5 ICE candidate types, 6 client root obfuscation secret, 7 DTLS randomization,
/// 8 traffic shaping, 9 signed destination server entry, 10 network protocol, 11 destination address,
/// 12 media streams.
/// </summary>
internal sealed record ClientOfferRequest : ICborRecord<ClientOfferRequest>
{
    /// <summary>Compartment IDs a client may list.</summary>
    public const int MaxCompartmentIds = 50;

    public static RecordType RecordType => RecordType.ClientOfferRequest;

    public PeerMetrics? Metrics { get; init; }

    public IReadOnlyList<Id32> CommonCompartmentIds { get; init; } = [];

    public IReadOnlyList<Id32> PersonalCompartmentIds { get; init; } = [];

    public string? ClientOfferSdp { get; init; }

    public IReadOnlyList<int> IceCandidateTypes { get; init; } = [];

    public ReadOnlyMemory<byte> ClientRootObfuscationSecret { get; init; }

    public bool DoDtlsRandomization { get; init; }

    public TrafficShapingParameters? TrafficShaping { get; init; }

    public ReadOnlyMemory<byte> PackedDestinationServerEntry { get; init; }

    public int NetworkProtocol { get; init; }

    public string? DestinationAddress { get; init; }

    public bool UseMediaStreams { get; init; }

    public void WriteCbor(CborWriter writer)
    {
        writer.WriteStartMap(null);
        MessageCbor.WriteNested(writer, 1, Metrics is null ? null : Metrics.WriteCbor);
        MessageCbor.WriteIds(writer, 2, CommonCompartmentIds);
        MessageCbor.WriteIds(writer, 3, PersonalCompartmentIds);
        writer.WriteField(4, ClientOfferSdp);
        MessageCbor.WriteInts(writer, 5, IceCandidateTypes);
        writer.WriteField(6, ClientRootObfuscationSecret.Span);
        writer.WriteField(7, DoDtlsRandomization);
        MessageCbor.WriteNested(writer, 8, TrafficShaping is null ? null : TrafficShaping.WriteCbor);
        writer.WriteField(9, PackedDestinationServerEntry.Span);
        writer.WriteField(10, NetworkProtocol);
        writer.WriteField(11, DestinationAddress);
        writer.WriteField(12, UseMediaStreams);
        writer.WriteEndMap();
    }

    public static bool TryReadCbor(CborReader reader, out ClientOfferRequest? value)
    {
        var v = new ClientOfferRequest();
        MessageCbor.ReadMap(reader, key =>
        {
            v = key switch
            {
                1 => v with { Metrics = PeerMetrics.Read(reader) },
                2 => v with { CommonCompartmentIds = MessageCbor.ReadIds(reader, MaxCompartmentIds) },
                3 => v with { PersonalCompartmentIds = MessageCbor.ReadIds(reader, MaxCompartmentIds) },
                4 => v with { ClientOfferSdp = reader.ReadTextString() },
                5 => v with { IceCandidateTypes = MessageCbor.ReadInts(reader, 16) },
                6 => v with { ClientRootObfuscationSecret = reader.ReadByteString() },
                7 => v with { DoDtlsRandomization = reader.ReadBoolean() },
                8 => v with { TrafficShaping = TrafficShapingParameters.Read(reader) },
                9 => v with { PackedDestinationServerEntry = reader.ReadByteString() },
                10 => v with { NetworkProtocol = reader.ReadInt32() },
                11 => v with { DestinationAddress = reader.ReadTextString() },
                12 => v with { UseMediaStreams = reader.ReadBoolean() },
                _ => Skip(reader, v),
            };
        });
        value = v;
        return v.Metrics is not null && (v.CommonCompartmentIds.Count == 0 || v.PersonalCompartmentIds.Count == 0);
    }

    private static ClientOfferRequest Skip(CborReader reader, ClientOfferRequest v)
    {
        reader.SkipValue();
        return v;
    }
}
