using System.Net;
using System.Text.Json;
using Inroad.Nat.PortMapping;

namespace Inroad.Nat.Tests.PortMapping;

public sealed class NatPmpAndPcpVectorTests
{
    public static TheoryData<string> NatPmpExchanges()
    {
        var data = new TheoryData<string>();
        foreach (JsonElement e in Vectors.PortMap("natpmp.json").GetProperty("exchanges").EnumerateArray())
        {
            data.Add(e.GetProperty("name").GetString()!);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(NatPmpExchanges))]
    public void NatPmp_exchange_matches_vector(string name)
    {
        JsonElement e = Vectors.PortMap("natpmp.json").GetProperty("exchanges").EnumerateArray().First(x => x.GetProperty("name").GetString() == name);
        JsonElement req = e.GetProperty("request");
        byte opcode = (byte)req.GetProperty("opcode").GetInt32();
        byte[] written = new byte[16];
        int n;
        if (opcode == 0)
        {
            Assert.True(NatPmpCodec.TryWriteExternalAddressRequest(written, out n));
        }
        else
        {
            Assert.True(NatPmpCodec.TryWriteMapRequest(
                written,
                udp: opcode == 1,
                (ushort)req.GetProperty("internal_port").GetInt32(),
                (ushort)req.GetProperty("suggested_external_port").GetInt32(),
                (uint)req.GetProperty("requested_lifetime_s").GetInt32(),
                out n));
        }

        Assert.Equal(e.Hex("request_hex"), written[..n]);

        byte[] response = e.Hex("response_hex");
        bool accepted = opcode == 0
            ? NatPmpCodec.TryReadExternalAddressResponse(response, out NatPmpExternalAddress ext) && ext.Address.Equals(IPAddress.Parse(e.GetProperty("response").GetProperty("external_ipv4").GetString()!))
            : NatPmpCodec.TryReadMapResponse(response, opcode == 1, out NatPmpMapping m)
                && m.ExternalPort == e.GetProperty("response").GetProperty("mapped_external_port").GetInt32()
                && m.LifetimeSeconds == (uint)e.GetProperty("response").GetProperty("lifetime_s").GetInt32()
                && m.EpochSeconds == (uint)e.GetProperty("response").GetProperty("seconds_since_start_of_epoch").GetInt64();
        Assert.Equal(e.GetProperty("expected").GetString()!.StartsWith("accept", StringComparison.Ordinal), accepted);
    }

    [Fact]
    public void NatPmp_captured_gateway_answers_parse()
    {
        JsonElement frames = Vectors.PortMap("natpmp.json").GetProperty("capture").GetProperty("frames");
        JsonElement ext = frames.EnumerateArray().First(f => f.GetProperty("frame").GetInt32() == 1);
        Assert.True(NatPmpCodec.TryReadExternalAddressResponse(ext.Hex("hex"), out NatPmpExternalAddress a));
        Assert.Equal(IPAddress.Parse("10.201.213.174"), a.Address);
        Assert.Equal(2833117u, a.EpochSeconds);
    }

    [Fact]
    public void Pcp_map_response_vector_parses_to_the_asserted_endpoint()
    {
        JsonElement v = Vectors.PortMap("pcp.json").GetProperty("vectors")[0];
        Assert.True(PcpCodec.TryReadMapResponse(v.Hex("hex"), out PcpResponseHeader h, out PcpMapData map));
        Assert.Equal(new IPEndPoint(IPAddress.Parse("135.180.175.246"), 1234), map.External);
        Assert.Equal((PcpCodec.OpMap, (byte)0, 7200u, 170989u), (h.Opcode, h.ResultCode, h.LifetimeSeconds, h.EpochSeconds));
        Assert.Equal(Convert.FromHexString("81700918f1d0fb2d9d4c0abc"), map.Nonce);
        Assert.Equal((17, 1234), (map.Protocol, map.InternalPort));
    }

    [Fact]
    public void Pcp_map_request_has_the_rfc_layout()
    {
        byte[] nonce = Convert.FromHexString("81700918f1d0fb2d9d4c0abc");
        byte[] buffer = new byte[60];
        Assert.True(PcpCodec.TryWriteMapRequest(buffer, IPAddress.Parse("198.18.2.10"), nonce, 17, 1234, new IPEndPoint(IPAddress.Any, 1234), 7200, out int n));
        Assert.Equal(
            "0201000000001c20" + "00000000000000000000ffffc612020a" + "81700918f1d0fb2d9d4c0abc" + "11000000" + "04d204d2" + "00000000000000000000ffff00000000",
            Convert.ToHexStringLower(buffer[..n]));
    }

    [Theory]
    [InlineData("")]
    [InlineData("02")]
    [InlineData("0281000000001c2000029bed")] // truncated header
    [InlineData("0201000000001c2000029bed000000000000000000000000")] // R bit clear: a request, not an answer
    [InlineData("0081000000001c2000029bed000000000000000000000000")] // NAT-PMP version
    public void Pcp_refuses_malformed_answers(string hex)
    {
        Assert.False(PcpCodec.TryReadMapResponse(Convert.FromHexString(hex), out _, out _));
    }
}
