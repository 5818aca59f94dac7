namespace Inroad.WebRtc.Transport;

/// <summary>
/// What an <see cref="IDatagramTransport"/> may add for bulk data: datagrams pushed to a receiver on the
/// transport's own thread (no queue, no task per datagram) and a burst of datagrams sent in one call (UDP GSO
/// where the kernel has it). Callers test for it and fall back to the plain contract; <see cref="DatagramBatch"/>
/// gives the fallback send.
/// </summary>
public interface IDatagramBatchTransport : IDatagramTransport
{
    /// <summary>
    /// From now on hands received datagrams to <paramref name="receiver"/> instead of queueing them for
    /// <see cref="IDatagramTransport.ReceiveAsync"/>. False when this transport cannot push (the caller keeps
    /// receiving). Datagrams already queued stay readable through ReceiveAsync. When the transport ends, the
    /// receiver hears <see cref="IDatagramReceiver.OnClosed"/>.
    /// </summary>
    bool TryAttachReceiver(IDatagramReceiver receiver);

    /// <summary>
    /// Sends <paramref name="lengths"/>.Length datagrams stored back to back in <paramref name="datagrams"/>.
    /// Each is a separate datagram to the peer; none is merged. Returns once they are handed to the layer below.
    /// </summary>
    void SendBatch(ReadOnlySpan<byte> datagrams, ReadOnlySpan<int> lengths);
}

/// <summary>Takes datagrams pushed by an <see cref="IDatagramBatchTransport"/>, on the transport's thread.</summary>
public interface IDatagramReceiver
{
    /// <summary>One datagram; the receiver may change it in place (decrypt) and must not keep the span.</summary>
    void OnDatagram(Span<byte> datagram);

    /// <summary>No more datagrams are ready for now: the moment to answer the burst (flush acknowledgements).</summary>
    void OnBatchEnd();

    /// <summary>
    /// The transport will push nothing more: closed here, closed by the peer, or its path failed. Called once, on
    /// any thread; a receiver attached after the close hears it at once. Without it a layer above that only
    /// listens would wait for a dead peer until its own timers gave up.
    /// </summary>
    void OnClosed();
}

/// <summary>The batch send of a transport that only has the plain contract.</summary>
public static class DatagramBatch
{
    /// <summary>Sends a batch through <see cref="IDatagramBatchTransport.SendBatch"/> or, without it, one SendAsync per datagram.</summary>
    public static async ValueTask SendAsync(IDatagramTransport transport, ReadOnlyMemory<byte> datagrams, ReadOnlyMemory<int> lengths, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transport);
        if (transport is IDatagramBatchTransport batch)
        {
            batch.SendBatch(datagrams.Span, lengths.Span);
            return;
        }

        int offset = 0;
        for (int i = 0; i < lengths.Length; i++)
        {
            int length = lengths.Span[i];
            await transport.SendAsync(datagrams.Slice(offset, length), cancellationToken).ConfigureAwait(false);
            offset += length;
        }
    }
}
