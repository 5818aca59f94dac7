using System.Security.Cryptography;
using Inroad.WebRtc.DataChannels;
using Inroad.WebRtc.Sctp;
using Inroad.WebRtc.Transport;

namespace Inroad.WebRtc.Tests.Sctp;

/// <summary>
/// SCTP driven the way the bulk path drives it (datagrams pushed in bursts on the transport's thread, one
/// flush per burst, packets handed down as batches) over the seeded lossy in-memory link: delivery stays
/// byte-exact under loss, duplication and reordering.
/// </summary>
public sealed class PushedBurstTests
{
    [Theory]
    [InlineData(0, 0, 0, 1)]
    [InlineData(0.05, 0.05, 0.1, 2)]
    [InlineData(0.10, 0.02, 0.05, 3)]
    public async Task A_stream_over_pushed_bursts_arrives_byte_exact_over_an_impaired_link(double loss, double duplicate, double reorder, int seed)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(TimeSpan.FromSeconds(60));
        CancellationToken ct = cts.Token;
        var impairment = new LinkImpairment { Loss = loss, Duplicate = duplicate, Reorder = reorder, Seed = seed };
        var (ia, ib) = InMemoryDatagramLink.CreatePair(impairment, impairment with { Seed = seed + 50 });
        await using var ta = new PushingTransport(ia);
        await using var tb = new PushingTransport(ib);
        var sctp = new SctpOptions { RtoInitial = TimeSpan.FromMilliseconds(100), RtoMin = TimeSpan.FromMilliseconds(50) };
        await using var a = new DataChannelSession(ta, new DataChannelSessionOptions { IsDtlsClient = true, Sctp = sctp });
        await using var b = new DataChannelSession(tb, new DataChannelSessionOptions { IsDtlsClient = false, Sctp = sctp });
        await Task.WhenAll(a.StartAsync(ct), b.StartAsync(ct));
        Assert.True(ta.Attached && tb.Attached, "SCTP took the push path");

        ValueTask<DataChannel> accepting = b.AcceptChannelAsync(ct);
        DataChannel opened = await a.OpenChannelAsync(new DataChannelOptions { Label = "bulk" }, ct);
        DataChannel accepted = await accepting;
        await using Stream up = opened.AsStream();
        await using Stream down = accepted.AsStream();
        byte[] data = new byte[loss > 0 ? 1 << 20 : 3 << 20];
        new Random(seed).NextBytes(data);
        byte[] got = new byte[data.Length];
        await Task.WhenAll(
            Task.Run(async () => await up.WriteAsync(data, ct), ct),
            Task.Run(async () => await down.ReadExactlyAsync(got, ct), ct));
        Assert.Equal(SHA256.HashData(data), SHA256.HashData(got));
        Assert.True(ta.BatchesSent > 0 && tb.Bursts > 0);
        Assert.True(ta.DatagramsSent > ta.BatchesSent, "several packets per batch");
    }

    /// <summary>Turns a pull transport into a pushing one: a pump delivers what is ready as one burst, then ends it.</summary>
    private sealed class PushingTransport(IDatagramTransport inner) : IDatagramBatchTransport
    {
        private readonly CancellationTokenSource _stop = new();
        private Task? _pump;

        public bool Attached => _pump is not null;

        public int Bursts { get; private set; }

        public int BatchesSent { get; private set; }

        public int DatagramsSent { get; private set; }

        public int MaxDatagramSize => inner.MaxDatagramSize;

        public bool TryAttachReceiver(IDatagramReceiver receiver)
        {
            _pump = Task.Run(() => PumpAsync(receiver));
            return true;
        }

        public void SendBatch(ReadOnlySpan<byte> datagrams, ReadOnlySpan<int> lengths)
        {
            BatchesSent++;
            int offset = 0;
            foreach (int length in lengths)
            {
                DatagramsSent++;
                ValueTask sent = inner.SendAsync(datagrams.Slice(offset, length).ToArray());
                if (!sent.IsCompletedSuccessfully)
                {
                    sent.AsTask().GetAwaiter().GetResult();
                }

                offset += length;
            }
        }

        public ValueTask SendAsync(ReadOnlyMemory<byte> datagram, CancellationToken cancellationToken = default) => inner.SendAsync(datagram, cancellationToken);

        public ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => inner.ReceiveAsync(buffer, cancellationToken);

        private async Task PumpAsync(IDatagramReceiver receiver)
        {
            byte[] buffer = new byte[65536];
            try
            {
                while (true)
                {
                    int n = await inner.ReceiveAsync(buffer, _stop.Token);
                    receiver.OnDatagram(buffer.AsSpan(0, n));
                    for (int k = 0; k < 63; k++)
                    {
                        ValueTask<int> next = inner.ReceiveAsync(buffer, _stop.Token);
                        if (!next.IsCompleted)
                        {
                            receiver.OnBatchEnd();
                            Bursts++;
                            n = await next;
                            receiver.OnDatagram(buffer.AsSpan(0, n));
                            k = -1;
                            continue;
                        }

                        receiver.OnDatagram(buffer.AsSpan(0, await next));
                    }

                    receiver.OnBatchEnd();
                    Bursts++;
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
            {
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await inner.DisposeAsync();
            if (_pump is not null)
            {
                await _pump;
            }

            _stop.Dispose();
        }
    }
}
