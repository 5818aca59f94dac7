namespace Inroad.WebRtc.Transport;

/// <summary>
/// A connected datagram path: the contract between WebRTC layers. ICE hands one to DTLS (the selected
/// pair, after the RFC 7983 demux), DTLS hands one to SCTP (decrypted records). Each datagram is
/// delivered whole or not at all; order and delivery are not guaranteed.
/// </summary>
public interface IDatagramTransport : IAsyncDisposable
{
    /// <summary>Largest datagram <see cref="SendAsync"/> accepts, in bytes.</summary>
    int MaxDatagramSize { get; }

    /// <summary>Sends one datagram. Completes once it is handed to the layer below, not when delivered.</summary>
    ValueTask SendAsync(ReadOnlyMemory<byte> datagram, CancellationToken cancellationToken = default);

    /// <summary>
    /// Receives the next datagram into <paramref name="buffer"/> and returns its length. A datagram longer
    /// than the buffer is truncated to it. Throws <see cref="ObjectDisposedException"/> or
    /// <see cref="OperationCanceledException"/> when the transport closes or the token fires.
    /// </summary>
    ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken = default);
}
