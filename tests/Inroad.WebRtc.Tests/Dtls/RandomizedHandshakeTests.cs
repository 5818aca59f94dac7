using Inroad.WebRtc.Dtls;
using Inroad.WebRtc.Transport;

namespace Inroad.WebRtc.Tests.Dtls;

public sealed class RandomizedHandshakeTests
{
    [Fact]
    public async Task Two_hundred_randomized_ClientHellos_all_handshake_with_our_server()
    {
        using var cts = DtlsTestPeers.Timeout(100);
        var failures = new List<string>();
        var shapes = new HashSet<string>();
        for (int seed = 1; seed <= 200; seed++)
        {
            var plan = DtlsShapePlan.Fixed(DtlsProfileKind.Randomized, new SeededRandom(DtlsTestPeers.Seed(1000 + seed)));
            shapes.Add(string.Join(',', plan.ClientHello.CipherSuites) + "|" + string.Join(',', plan.ClientHello.Extensions.Select(e => e.Type)));
            var (a, b) = InMemoryDatagramLink.CreatePair();
            try
            {
                var (client, server) = await DtlsTestPeers.HandshakeAsync(
                    a, b, DtlsTestPeers.ClientOptions(plan, seed: seed), DtlsTestPeers.ServerOptions(seed: seed), cts.Token);
                await client.DisposeAsync();
                await server.DisposeAsync();
            }
            catch (DtlsException ex)
            {
                failures.Add($"seed {1000 + seed}: {ex.Error} {ex.Message}");
            }
        }

        Assert.Empty(failures);
        Assert.True(shapes.Count >= 195, $"only {shapes.Count} distinct shapes");
    }

    [Theory]
    [InlineData(0.1, 1)]
    [InlineData(0.2, 2)]
    [InlineData(0.3, 3)]
    public async Task Handshake_survives_seeded_loss_duplication_and_reordering(double loss, int seed)
    {
        using var cts = DtlsTestPeers.Timeout(40);
        var impairment = new LinkImpairment { Loss = loss, Duplicate = 0.05, Reorder = 0.1, Seed = seed };
        var (a, b) = InMemoryDatagramLink.CreatePair(impairment, impairment with { Seed = seed + 100 });
        var client = DtlsTestPeers.ClientOptions();
        var server = DtlsTestPeers.ServerOptions();
        client.HandshakeTimeout = server.HandshakeTimeout = TimeSpan.FromSeconds(30);
        var (c, s) = await DtlsTestPeers.HandshakeAsync(a, b, client, server, cts.Token);
        await using (c)
        await using (s)
        {
            Assert.Equal(c.CipherSuite, s.CipherSuite);
        }
    }
}
