using Inroad.Protocol;

namespace Inroad.Proxy;

/// <summary>One matched client of a proxy: its region, state and byte counts. Counts are updated by the relay and read by snapshots.</summary>
internal sealed class ProxyClient(Id32 connectionId, ProxyClientKind kind, string region) : IRelayCounters
{
    private long _bytesUp;
    private long _bytesDown;
    private volatile bool _connected;

    public Id32 ConnectionId { get; } = connectionId;

    public ProxyClientKind Kind { get; } = kind;

    /// <summary>The client's country as the broker saw it; "" when unknown.</summary>
    public string Region { get; } = region;

    /// <summary>True once relaying; false while connecting.</summary>
    public bool Connected => _connected;

    public long BytesUp => Interlocked.Read(ref _bytesUp);

    public long BytesDown => Interlocked.Read(ref _bytesDown);

    public void MarkConnected() => _connected = true;

    public void AddUp(long bytes) => Interlocked.Add(ref _bytesUp, bytes);

    public void AddDown(long bytes) => Interlocked.Add(ref _bytesDown, bytes);
}
