using System.Formats.Cbor;
using Inroad.Sessions.Records;

namespace Inroad.Protocol.Messages;

/// <summary>Data-channel padding and decoy parameters the client picks and the proxy applies (design §2.2).</summary>
internal sealed record TrafficShapingParameters
{
    public int MinPaddedMessages { get; init; }

    public int MaxPaddedMessages { get; init; }

    public int MinPaddingSize { get; init; }

    public int MaxPaddingSize { get; init; }

    public int MinDecoyMessages { get; init; }

    public int MaxDecoyMessages { get; init; }

    public int MinDecoySize { get; init; }

    public int MaxDecoySize { get; init; }

    public double DecoyMessageProbability { get; init; }

    /// <summary>The broker's sanity limits: counts ≤ 100, sizes ≤ 16384, min ≤ max, 0 ≤ p ≤ 1.</summary>
    public bool IsSane =>
        Range(MinPaddedMessages, MaxPaddedMessages, 100) && Range(MinPaddingSize, MaxPaddingSize, 16384)
        && Range(MinDecoyMessages, MaxDecoyMessages, 100) && Range(MinDecoySize, MaxDecoySize, 16384)
        && DecoyMessageProbability is >= 0 and <= 1;

    public void WriteCbor(CborWriter writer)
    {
        writer.WriteStartMap(null);
        writer.WriteField(1, MinPaddedMessages);
        writer.WriteField(2, MaxPaddedMessages);
        writer.WriteField(3, MinPaddingSize);
        writer.WriteField(4, MaxPaddingSize);
        writer.WriteField(5, MinDecoyMessages);
        writer.WriteField(6, MaxDecoyMessages);
        writer.WriteField(7, MinDecoySize);
        writer.WriteField(8, MaxDecoySize);
        if (DecoyMessageProbability != 0)
        {
            writer.WriteInt32(9);
            writer.WriteDouble(DecoyMessageProbability);
        }

        writer.WriteEndMap();
    }

    public static TrafficShapingParameters Read(CborReader reader)
    {
        var p = new TrafficShapingParameters();
        MessageCbor.ReadMap(reader, key =>
        {
            p = key switch
            {
                1 => p with { MinPaddedMessages = reader.ReadInt32() },
                2 => p with { MaxPaddedMessages = reader.ReadInt32() },
                3 => p with { MinPaddingSize = reader.ReadInt32() },
                4 => p with { MaxPaddingSize = reader.ReadInt32() },
                5 => p with { MinDecoyMessages = reader.ReadInt32() },
                6 => p with { MaxDecoyMessages = reader.ReadInt32() },
                7 => p with { MinDecoySize = reader.ReadInt32() },
                8 => p with { MaxDecoySize = reader.ReadInt32() },
                9 => p with { DecoyMessageProbability = reader.ReadDouble() },
                _ => SkipAndKeep(reader, p),
            };
        });
        return p;
    }

    private static TrafficShapingParameters SkipAndKeep(CborReader reader, TrafficShapingParameters p)
    {
        reader.SkipValue();
        return p;
    }

    private static bool Range(int min, int max, int limit) => min >= 0 && min <= max && max <= limit;
}
