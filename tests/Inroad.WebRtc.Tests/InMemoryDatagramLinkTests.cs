using Inroad.WebRtc.Transport;

namespace Inroad.WebRtc.Tests;

public sealed class InMemoryDatagramLinkTests
{
    [Fact]
    public async Task Datagrams_cross_whole_in_both_directions()
    {
        var (a, b) = InMemoryDatagramLink.CreatePair();
        await a.SendAsync(new byte[] { 1, 2, 3 }, TestContext.Current.CancellationToken);
        await b.SendAsync(new byte[] { 9 }, TestContext.Current.CancellationToken);

        var buffer = new byte[16];
        int n = await b.ReceiveAsync(buffer, TestContext.Current.CancellationToken);
        Assert.Equal(new byte[] { 1, 2, 3 }, buffer[..n]);
        n = await a.ReceiveAsync(buffer, TestContext.Current.CancellationToken);
        Assert.Equal(new byte[] { 9 }, buffer[..n]);
    }

    [Fact]
    public async Task Seeded_loss_drops_about_the_configured_share_and_replays_exactly()
    {
        static async Task<List<int>> Survivors(int seed)
        {
            var (a, b) = InMemoryDatagramLink.CreatePair(new LinkImpairment { Loss = 0.3, Seed = seed });
            for (int i = 0; i < 1000; i++)
            {
                await a.SendAsync(BitConverter.GetBytes(i));
            }

            // Then end markers (-1) until the stream's end is sure to show: the link keeps order (no reordering or delay
            // configured), so everything that survived is read before the first marker, however slowly the reader runs.
            for (int i = 0; i < 30; i++)
            {
                await a.SendAsync(BitConverter.GetBytes(-1));
            }

            var got = new List<int>();
            var buffer = new byte[4];
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
            cts.CancelAfter(TimeSpan.FromSeconds(10));
            while (true)
            {
                Assert.Equal(4, await b.ReceiveAsync(buffer, cts.Token));
                int value = BitConverter.ToInt32(buffer);
                if (value < 0)
                {
                    break;
                }

                got.Add(value);
            }

            await a.DisposeAsync();
            await b.DisposeAsync();
            return got;
        }

        List<int> first = await Survivors(7);
        List<int> second = await Survivors(7);
        Assert.InRange(first.Count, 620, 780);
        Assert.Equal(first, second);
    }

    [Fact]
    public void Impairment_rejects_impossible_probabilities()
    {
        var bad = new LinkImpairment { Loss = 1.5 };
        var ex = Assert.Throws<ArgumentOutOfRangeException>(bad.Validate);
        Assert.Equal("Loss", ex.ParamName);
    }
}
