using System.Collections.Concurrent;
using Inroad.WebRtc.Sctp;
using Inroad.WebRtc.Transport;

namespace Inroad.WebRtc.Tests.Sctp;

/// <summary>An association over a transport that records what the handler sees, for tests.</summary>
internal sealed class SctpPeer : ISctpAssociationHandler, IAsyncDisposable
{
    private readonly TaskCompletionSource _established = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<SctpError> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly SemaphoreSlim _messageArrived = new(0);

    public SctpPeer(IDatagramTransport transport, SctpOptions? options = null)
    {
        Connection = new SctpConnection(transport, options ?? new SctpOptions(), this);
    }

    public SctpConnection Connection { get; }

    public ConcurrentQueue<(ushort Stream, uint Ppid, byte[] Data)> Messages { get; } = new();

    public ConcurrentQueue<ushort> IncomingResets { get; } = new();

    public ConcurrentQueue<ushort> OutgoingResets { get; } = new();

    public Task Established => _established.Task;

    public Task<SctpError> Closed => _closed.Task;

    public string? CloseReason { get; private set; }

    /// <summary>When false, delivered bytes stay counted against the receive window (a reader that does not read).</summary>
    public bool AutoRelease { get; set; } = true;

    public long BytesReceived;

    public void OnEstablished(SctpAssociation association) => _established.TrySetResult();

    public void OnMessage(SctpAssociation association, ushort stream, uint ppid, ReadOnlySpan<byte> data)
    {
        Messages.Enqueue((stream, ppid, data.ToArray()));
        Interlocked.Add(ref BytesReceived, data.Length);
        if (AutoRelease)
        {
            association.ReleaseReceived(data.Length);
        }

        _messageArrived.Release();
    }

    public void OnIncomingStreamsReset(SctpAssociation association, ReadOnlySpan<ushort> streams)
    {
        foreach (ushort s in streams)
        {
            IncomingResets.Enqueue(s);
        }
    }

    public void OnOutgoingStreamsReset(SctpAssociation association, ReadOnlySpan<ushort> streams)
    {
        foreach (ushort s in streams)
        {
            OutgoingResets.Enqueue(s);
        }
    }

    public void OnBufferedAmountLow(SctpAssociation association, ushort stream)
    {
    }

    public void OnClosed(SctpAssociation association, SctpError error, string? reason)
    {
        CloseReason = reason;
        _closed.TrySetResult(error);
    }

    public Task SendAsync(ushort stream, byte[] data, SctpSendOptions options = default, uint ppid = 53) =>
        Connection.RunAsync((a, now) => a.Send(stream, ppid, data, options, now));

    public async Task WaitForBytesAsync(long total, CancellationToken cancellationToken)
    {
        while (Interlocked.Read(ref BytesReceived) < total)
        {
            await _messageArrived.WaitAsync(cancellationToken);
        }
    }

    public async Task WaitForMessagesAsync(int count, CancellationToken cancellationToken)
    {
        while (Messages.Count < count)
        {
            await _messageArrived.WaitAsync(cancellationToken);
        }
    }

    public static async Task<(SctpPeer A, SctpPeer B)> ConnectPairAsync(
        LinkImpairment? aToB, LinkImpairment? bToA, SctpOptions? options, CancellationToken cancellationToken)
    {
        (IDatagramTransport ta, IDatagramTransport tb) = InMemoryDatagramLink.CreatePair(aToB, bToA);
        var a = new SctpPeer(ta, options);
        var b = new SctpPeer(tb, options);
        await Task.WhenAll(a.Connection.StartAsync(cancellationToken), b.Connection.StartAsync(cancellationToken));
        await Task.WhenAll(a.Established, b.Established).WaitAsync(cancellationToken);
        a._transport = ta;
        b._transport = tb;
        return (a, b);
    }

    private IDatagramTransport? _transport;

    public async ValueTask DisposeAsync()
    {
        await Connection.DisposeAsync();
        if (_transport is not null)
        {
            await _transport.DisposeAsync();
        }

        _messageArrived.Dispose();
    }
}
