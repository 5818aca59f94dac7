using BenchmarkDotNet.Attributes;
using Inroad.Sessions.Obfuscation;

namespace Inroad.Benchmarks.Sessions;

/// <summary>One packet obfuscated by an initiator and deobfuscated by a responder (timestamp and replay history included).</summary>
[MemoryDiagnoser]
public class ObfuscationBenchmarks
{
    private PacketObfuscator _initiator = null!;
    private PacketObfuscator _responder = null!;
    private byte[] _record = null!;
    private byte[] _buffer = null!;

    [Params(100, 1000)]
    public int RecordSize { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        ObfuscationSecret secret = ObfuscationSecret.Generate();
        _initiator = new PacketObfuscator(secret, TimeProvider.System, null, TimeSpan.Zero);
        _responder = new PacketObfuscator(secret, TimeProvider.System, new ReplayHistory(10_000_000, 0.001, TimeSpan.FromMinutes(10), TimeProvider.System), TimeSpan.FromMinutes(5));
        _record = new byte[RecordSize];
        _buffer = new byte[RecordSize + PacketObfuscator.MaxOverhead];
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _initiator.Dispose();
        _responder.Dispose();
    }

    [Benchmark]
    public bool ObfuscateDeobfuscate()
    {
        byte[] packet = _initiator.Obfuscate(_record, PacketDirection.InitiatorToResponder);
        return _responder.TryDeobfuscate(packet, PacketDirection.InitiatorToResponder, _buffer, out _);
    }
}
