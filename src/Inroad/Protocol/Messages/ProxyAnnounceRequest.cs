using System.Formats.Cbor;
using Inroad.Sessions.Records;

namespace Inroad.Protocol.Messages;

/// <summary>Proxy → broker long poll (record 3): 1 personal compartment IDs (≤ 1), 2 metrics (required), 3/4 tactics checks. The proxy ID is its session key.</summary>
internal sealed record ProxyAnnounceRequest : ICborRecord<ProxyAnnounceRequest>
{
    public static RecordType RecordType => RecordType.ProxyAnnounceRequest;

    public IReadOnlyList<Id32> PersonalCompartmentIds { get; init; } = [];

    public PeerMetrics? Metrics { get; init; }

    public bool CheckTactics { get; init; }

    public bool PreCheckTactics { get; init; }

    public void WriteCbor(CborWriter writer)
    {
        writer.WriteStartMap(null);
        MessageCbor.WriteIds(writer, 1, PersonalCompartmentIds);
        MessageCbor.WriteNested(writer, 2, Metrics is null ? null : Metrics.WriteCbor);
        writer.WriteField(3, CheckTactics);
        writer.WriteField(4, PreCheckTactics);
        writer.WriteEndMap();
    }

    public static bool TryReadCbor(CborReader reader, out ProxyAnnounceRequest? value)
    {
        var v = new ProxyAnnounceRequest();
        MessageCbor.ReadMap(reader, key =>
        {
            switch (key)
            {
                case 1: v = v with { PersonalCompartmentIds = MessageCbor.ReadIds(reader, 1) }; break;
                case 2: v = v with { Metrics = PeerMetrics.Read(reader) }; break;
                case 3: v = v with { CheckTactics = reader.ReadBoolean() }; break;
                case 4: v = v with { PreCheckTactics = reader.ReadBoolean() }; break;
                default: reader.SkipValue(); break;
            }
        });
        value = v;
        return v.Metrics is not null;
    }
}
