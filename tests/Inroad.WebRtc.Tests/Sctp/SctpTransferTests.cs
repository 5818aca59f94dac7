using Inroad.WebRtc.Sctp;
using Inroad.WebRtc.Transport;

namespace Inroad.WebRtc.Tests.Sctp;

public sealed class SctpTransferTests
{
    private static readonly SctpOptions FastOptions = new() { RtoInitial = TimeSpan.FromMilliseconds(100), RtoMin = TimeSpan.FromMilliseconds(50) };

    private static CancellationTokenSource Timeout(int seconds = 30)
    {
        var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(TimeSpan.FromSeconds(seconds));
        return cts;
    }

    public static TheoryData<double, double, double, int> Impairments => new()
    {
        { 0, 0, 0, 1 },
        { 0.05, 0, 0, 2 },
        { 0.02, 0.05, 0.1, 3 },
        { 0.10, 0.02, 0.05, 4 },
    };

    [Theory]
    [MemberData(nameof(Impairments))]
    public async Task Ordered_reliable_messages_arrive_byte_exact_over_an_impaired_link(double loss, double duplicate, double reorder, int seed)
    {
        using CancellationTokenSource cts = Timeout(60);
        var impairment = new LinkImpairment { Loss = loss, Duplicate = duplicate, Reorder = reorder, Seed = seed };
        var (a, b) = await SctpPeer.ConnectPairAsync(impairment, impairment with { Seed = seed + 100 }, FastOptions, cts.Token);
        await using (a)
        await using (b)
        {
            var random = new Random(seed);
            var sent = new List<byte[]>();
            long total = 0;
            for (int i = 0; i < 200; i++)
            {
                byte[] message = new byte[random.Next(1, 20_000)];
                random.NextBytes(message);
                sent.Add(message);
                total += message.Length;
                await a.SendAsync(1, message);
            }

            await b.WaitForBytesAsync(total, cts.Token);
            Assert.Equal(sent.Count, b.Messages.Count);
            int k = 0;
            foreach ((ushort stream, uint ppid, byte[] data) in b.Messages)
            {
                Assert.Equal((ushort)1, stream);
                Assert.Equal(53u, ppid);
                Assert.Equal(sent[k++], data);
            }
        }
    }
}
