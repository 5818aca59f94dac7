using Inroad.WebRtc.Dtls;
using Inroad.WebRtc.Transport;

namespace Inroad.WebRtc.Tests.Dtls;

public sealed class DtlsHandshakeTests
{
    public static TheoryData<DtlsProfileKind, bool> ProfilesTimesServers()
    {
        var data = new TheoryData<DtlsProfileKind, bool>();
        foreach (var kind in Enum.GetValues<DtlsProfileKind>())
        {
            data.Add(kind, false);
            data.Add(kind, true);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(ProfilesTimesServers))]
    public async Task Every_profile_completes_a_handshake_with_both_server_shapes_and_carries_data(DtlsProfileKind kind, bool shuffledServer)
    {
        using var cts = DtlsTestPeers.Timeout();
        var (a, b) = InMemoryDatagramLink.CreatePair();
        var clientPlan = DtlsShapePlan.Fixed(kind, new SeededRandom(DtlsTestPeers.Seed(7)));
        var serverPlan = shuffledServer
            ? DtlsShapePlan.Derive(DtlsTestPeers.Seed(11), SignalingRole.Offerer, new DtlsProfileChoice())
            : DtlsShapePlan.Fixed(DtlsProfileKind.Chromium);

        var (client, server) = await DtlsTestPeers.HandshakeAsync(a, b, DtlsTestPeers.ClientOptions(clientPlan), DtlsTestPeers.ServerOptions(serverPlan), cts.Token);
        await using (client)
        await using (server)
        {
            Assert.Equal(client.CipherSuite, server.CipherSuite);
            Assert.Contains(client.CipherSuite, ClientHelloProfiles.EcdheEcdsaSuites);
            Assert.Equal(client.SrtpProfile, server.SrtpProfile);
            Assert.NotEqual(0, server.SrtpProfile);

            await client.SendAsync("hello from the answerer"u8.ToArray(), cts.Token);
            var buffer = new byte[2048];
            int n = await server.ReceiveAsync(buffer, cts.Token);
            Assert.Equal("hello from the answerer"u8.ToArray(), buffer[..n]);

            await server.SendAsync(new byte[1000], cts.Token);
            n = await client.ReceiveAsync(buffer, cts.Token);
            Assert.Equal(1000, n);
        }
    }
}
