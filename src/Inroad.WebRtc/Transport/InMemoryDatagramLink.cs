using System.Threading.Channels;

namespace Inroad.WebRtc.Transport;

/// <summary>
/// Two connected in-memory <see cref="IDatagramTransport"/> ends with optional seeded loss, duplication,
/// reordering and delay in each direction. For fast unit tests of the layers above ICE; the real path
/// is tested over UDP sockets and the namespace lab.
/// </summary>
internal static class InMemoryDatagramLink
{
    public static (IDatagramTransport A, IDatagramTransport B) CreatePair(
        LinkImpairment? aToB = null,
        LinkImpairment? bToA = null,
        int maxDatagramSize = 1500,
        TimeProvider? timeProvider = null)
    {
        aToB ??= LinkImpairment.None;
        bToA ??= LinkImpairment.None;
        aToB.Validate();
        bToA.Validate();
        timeProvider ??= TimeProvider.System;
        var toA = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleReader = true });
        var toB = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleReader = true });
        var a = new End(toB.Writer, toA, aToB, maxDatagramSize, timeProvider);
        var b = new End(toA.Writer, toB, bToA, maxDatagramSize, timeProvider);
        return (a, b);
    }

    private sealed class End : IDatagramTransport
    {
        private readonly ChannelWriter<byte[]> _peer;
        private readonly Channel<byte[]> _inbox;
        private readonly LinkImpairment _impairment;
        private readonly TimeProvider _time;
        private readonly Random _random;
        private readonly Lock _lock = new();
        private byte[]? _heldBack; // guarded by _lock
        private bool _disposed;

        public End(ChannelWriter<byte[]> peer, Channel<byte[]> inbox, LinkImpairment impairment, int maxDatagramSize, TimeProvider time)
        {
            _peer = peer;
            _inbox = inbox;
            _impairment = impairment;
            _time = time;
            _random = new Random(impairment.Seed);
            MaxDatagramSize = maxDatagramSize;
        }

        public int MaxDatagramSize { get; }

        public ValueTask SendAsync(ReadOnlyMemory<byte> datagram, CancellationToken cancellationToken = default)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            cancellationToken.ThrowIfCancellationRequested();
            if (datagram.Length > MaxDatagramSize)
            {
                throw new ArgumentException($"Datagram of {datagram.Length} bytes exceeds {MaxDatagramSize}.", nameof(datagram));
            }

            byte[] copy = datagram.ToArray();
            lock (_lock)
            {
                if (_random.NextDouble() < _impairment.Loss)
                {
                    return ValueTask.CompletedTask;
                }

                bool duplicate = _random.NextDouble() < _impairment.Duplicate;
                if (_heldBack is null && _random.NextDouble() < _impairment.Reorder)
                {
                    _heldBack = copy;
                    return ValueTask.CompletedTask;
                }

                Deliver(copy);
                if (duplicate)
                {
                    Deliver(copy);
                }

                if (_heldBack is { } late)
                {
                    _heldBack = null;
                    Deliver(late);
                }
            }

            return ValueTask.CompletedTask;
        }

        public async ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            byte[] datagram;
            try
            {
                datagram = await _inbox.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (ChannelClosedException)
            {
                throw new ObjectDisposedException(nameof(InMemoryDatagramLink));
            }

            int length = Math.Min(datagram.Length, buffer.Length);
            datagram.AsSpan(0, length).CopyTo(buffer.Span);
            return length;
        }

        public ValueTask DisposeAsync()
        {
            _disposed = true;
            _inbox.Writer.TryComplete();
            return ValueTask.CompletedTask;
        }

        private void Deliver(byte[] datagram)
        {
            if (_impairment.Delay <= TimeSpan.Zero)
            {
                _peer.TryWrite(datagram);
                return;
            }

            ITimer? timer = null;
            timer = _time.CreateTimer(
                _ =>
                {
                    _peer.TryWrite(datagram);
                    timer?.Dispose();
                },
                null,
                _impairment.Delay,
                Timeout.InfiniteTimeSpan);
        }
    }
}
