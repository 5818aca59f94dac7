using System.Formats.Cbor;
using Inroad.Sessions.Records;

namespace Inroad.Protocol.Messages;

/// <summary>Broker → proxy (record 6): 1 NoAwaitingClient (the client left; the proxy abandons quietly).</summary>
internal sealed record ProxyAnswerResponse : ICborRecord<ProxyAnswerResponse>
{
    public static RecordType RecordType => RecordType.ProxyAnswerResponse;

    public bool NoAwaitingClient { get; init; }

    public void WriteCbor(CborWriter writer)
    {
        writer.WriteStartMap(null);
        writer.WriteField(1, NoAwaitingClient);
        writer.WriteEndMap();
    }

    public static bool TryReadCbor(CborReader reader, out ProxyAnswerResponse? value)
    {
        bool noAwaiting = false;
        MessageCbor.ReadMap(reader, key =>
        {
            if (key == 1)
            {
                noAwaiting = reader.ReadBoolean();
            }
            else
            {
                reader.SkipValue();
            }
        });
        value = new ProxyAnswerResponse { NoAwaitingClient = noAwaiting };
        return true;
    }
}
