using BenchmarkDotNet.Attributes;
using Inroad.WebRtc.Sctp;

namespace Inroad.Benchmarks.Sctp;

/// <summary>Per-packet costs of the sans-IO engine: CRC-32C of a 1200-byte packet, and one 1 KB message out, in and acknowledged.</summary>
[MemoryDiagnoser]
public class SctpPacketBenchmarks
{
    private readonly byte[] _packet = new byte[1200];
    private readonly byte[] _message = new byte[1100];
    private readonly Handler _handler = new();
    private SctpAssociation? _a;
    private SctpAssociation? _b;
    private readonly TimeSpan _now = TimeSpan.FromSeconds(1);

    [GlobalSetup]
    public void Setup()
    {
        new Random(1).NextBytes(_packet);
        _a = new SctpAssociation(new SctpOptions(), _handler);
        _b = new SctpAssociation(new SctpOptions(), _handler);
        _a.Connect(_now);
        _b.Connect(_now);
        for (int i = 0; i < 10; i++)
        {
            Move(_a, _b);
            Move(_b, _a);
        }
    }

    [Benchmark]
    public uint Crc32c1200() => SctpCrc32c.Compute(_packet);

    [Benchmark]
    public void MessageOutInAndSack()
    {
        _a!.Send(1, 53, _message, default, _now);
        Move(_a, _b!);
        _b!.HandleTimeout(_now + TimeSpan.FromSeconds(1));
        Move(_b, _a);
    }

    private void Move(SctpAssociation from, SctpAssociation to)
    {
        while (from.TryWritePacket(_packet, _now, out int n))
        {
            to.HandlePacket(_packet.AsSpan(0, n), _now);
        }
    }

    private sealed class Handler : ISctpAssociationHandler
    {
        public void OnEstablished(SctpAssociation association)
        {
        }

        public void OnMessage(SctpAssociation association, ushort stream, uint ppid, ReadOnlySpan<byte> data) => association.ReleaseReceived(data.Length);

        public void OnIncomingStreamsReset(SctpAssociation association, ReadOnlySpan<ushort> streams)
        {
        }

        public void OnOutgoingStreamsReset(SctpAssociation association, ReadOnlySpan<ushort> streams)
        {
        }

        public void OnBufferedAmountLow(SctpAssociation association, ushort stream)
        {
        }

        public void OnClosed(SctpAssociation association, SctpError error, string? reason)
        {
        }
    }
}
