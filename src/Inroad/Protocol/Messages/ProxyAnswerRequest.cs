using System.Formats.Cbor;
using Inroad.Sessions.Records;

namespace Inroad.Protocol.Messages;

/// <summary>Proxy → broker (record 5): 1 connection ID, 3 answer SDP, 4 ICE candidate types, 5 answer error, 6 DTLS fingerprint.</summary>
internal sealed record ProxyAnswerRequest : ICborRecord<ProxyAnswerRequest>
{
    public static RecordType RecordType => RecordType.ProxyAnswerRequest;

    public Id32 ConnectionId { get; init; }

    public string? ProxyAnswerSdp { get; init; }

    public IReadOnlyList<int> IceCandidateTypes { get; init; } = [];

    public string? AnswerError { get; init; }

    public string? ProxyDtlsFingerprint { get; init; }

    public void WriteCbor(CborWriter writer)
    {
        writer.WriteStartMap(null);
        MessageCbor.WriteId(writer, 1, ConnectionId);
        writer.WriteField(3, ProxyAnswerSdp);
        MessageCbor.WriteInts(writer, 4, IceCandidateTypes);
        writer.WriteField(5, AnswerError);
        writer.WriteField(6, ProxyDtlsFingerprint);
        writer.WriteEndMap();
    }

    public static bool TryReadCbor(CborReader reader, out ProxyAnswerRequest? value)
    {
        var v = new ProxyAnswerRequest();
        MessageCbor.ReadMap(reader, key =>
        {
            switch (key)
            {
                case 1: v = v with { ConnectionId = MessageCbor.ReadId(reader) }; break;
                case 3: v = v with { ProxyAnswerSdp = reader.ReadTextString() }; break;
                case 4: v = v with { IceCandidateTypes = MessageCbor.ReadInts(reader, 16) }; break;
                case 5: v = v with { AnswerError = reader.ReadTextString() }; break;
                case 6: v = v with { ProxyDtlsFingerprint = reader.ReadTextString() }; break;
                default: reader.SkipValue(); break;
            }
        });
        value = v;
        return !v.ConnectionId.IsZero;
    }
}
