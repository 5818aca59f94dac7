using System.Collections.Concurrent;
using Org.BouncyCastle.Tls;

namespace Inroad.Benchmarks.Dtls;

/// <summary>Two BouncyCastle datagram transports joined by in-process queues: records without syscalls.</summary>
internal sealed class QueueDatagramPair : DatagramTransport
{
    private readonly BlockingCollection<byte[]> _inbox;
    private readonly BlockingCollection<byte[]> _outbox;

    private QueueDatagramPair(BlockingCollection<byte[]> inbox, BlockingCollection<byte[]> outbox)
    {
        _inbox = inbox;
        _outbox = outbox;
    }

    public static (QueueDatagramPair A, QueueDatagramPair B) Create()
    {
        var ab = new BlockingCollection<byte[]>();
        var ba = new BlockingCollection<byte[]>();
        return (new QueueDatagramPair(ba, ab), new QueueDatagramPair(ab, ba));
    }

    public int GetReceiveLimit() => 1500;

    public int GetSendLimit() => 1200;

    public int Receive(byte[] buf, int off, int len, int waitMillis) => Receive(buf.AsSpan(off, len), waitMillis);

    public int Receive(Span<byte> buffer, int waitMillis)
    {
        if (!_inbox.TryTake(out byte[]? datagram, waitMillis == 0 ? Timeout.Infinite : waitMillis))
        {
            return -1;
        }

        datagram.CopyTo(buffer);
        return datagram.Length;
    }

    public void Send(byte[] buf, int off, int len) => Send(buf.AsSpan(off, len));

    public void Send(ReadOnlySpan<byte> buffer) => _outbox.Add(buffer.ToArray());

    public void Close()
    {
    }
}
