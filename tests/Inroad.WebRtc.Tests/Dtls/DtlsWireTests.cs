using System.Text.Json;
using Inroad.WebRtc.Dtls;

namespace Inroad.WebRtc.Tests.Dtls;

/// <summary>The record and hello readers against ../shared/vectors/sctp/dtls-records.json and random input.</summary>
public sealed class DtlsWireTests
{
    [Fact]
    public void Reads_the_vector_datagrams_and_rejects_the_broken_ones()
    {
        var vectors = Vectors();
        Assert.True(DtlsWire.TryReadRecord(vectors["datagram_one_ccs_record"], out var one, out int consumed));
        Assert.Equal((byte)20, one.ContentType);
        Assert.Equal(18, one.SequenceNumber);
        Assert.Equal(vectors["datagram_one_ccs_record"].Length, consumed);

        var two = vectors["datagram_two_ccs_records"];
        Assert.True(DtlsWire.TryReadRecord(two, out var first, out consumed));
        Assert.True(DtlsWire.TryReadRecord(two.AsSpan(consumed), out var second, out _));
        Assert.Equal((18L, 19L), (first.SequenceNumber, second.SequenceNumber));

        Assert.False(DtlsWire.TryReadRecord(vectors["datagram_too_short"], out _, out _));
        Assert.False(DtlsWire.TryReadRecord(vectors["datagram_length_overruns"], out _, out _));

        Assert.True(ClientHelloInfo.TryRead(vectors["client_hello_body"], out var hello));
        Assert.Equal(0xfefd, hello.Version);
        Assert.Equal(Convert.FromHexString("e6143a1b04ea9e7a14d66c57d00e32857618ded8"), hello.Cookie);
        Assert.Equal([0xc02b, 0xc00a], hello.CipherSuites);
        Assert.Equal([10], hello.Extensions.Select(e => e.Type));

        var minimal = vectors["handshake_client_hello_minimal"];
        Assert.True(DtlsWire.TryReadHandshakeHeader(minimal, out var header));
        Assert.Equal((1, 0x29, 0, 0, 0x29), (header.MessageType, header.Length, header.MessageSeq, header.FragmentOffset, header.FragmentLength));
        Assert.True(ClientHelloInfo.TryRead(minimal.AsSpan(12), out var bare));
        Assert.Empty(bare.Extensions);
    }

    [Fact]
    public void Captured_Chrome_2022_flight_parses_into_its_documented_ClientHello()
    {
        byte[] frame = Convert.FromHexString(CaptureHex("frame 2"));
        Assert.True(DtlsWire.StartsWithClientHello(frame));
        byte[] body = DtlsWire.ReassembleHandshake([frame], 1)!;
        Assert.True(ClientHelloInfo.TryRead(body, out var hello));
        Assert.Equal([0xc02b, 0xc02f, 0xcca9, 0xcca8, 0xc009, 0xc013, 0xc00a, 0xc014, 0x009c, 0x002f, 0x0035], hello.CipherSuites);
        Assert.Equal([0x00, 0x06, 0x00, 0x01, 0x00, 0x08, 0x00, 0x07, 0x00], hello.Extension(ExtensionTypes.UseSrtp));
    }

    [Fact]
    public void Readers_never_throw_on_random_or_mutated_input_and_reorder_round_trips()
    {
        var random = new Random(1234);
        byte[] chrome = Convert.FromHexString(CaptureHex("frame 2"));
        for (int i = 0; i < 20000; i++)
        {
            byte[] input;
            if (i % 2 == 0)
            {
                input = new byte[random.Next(0, 400)];
                random.NextBytes(input);
            }
            else
            {
                input = (byte[])chrome.Clone();
                for (int m = random.Next(1, 6); m > 0; m--)
                {
                    input[random.Next(input.Length)] = (byte)random.Next(256);
                }

                input = input[..random.Next(input.Length + 1)];
            }

            DtlsWire.TryReadRecord(input, out _, out _);
            DtlsWire.StartsWithClientHello(input);
            DtlsWire.TryReadHandshakeHeader(input, out _);
            DtlsWire.ReassembleHandshake([input], 1);
            if (ClientHelloInfo.TryRead(input, out var hello))
            {
                // Round trip: reordering to the parsed order gives the same bytes back.
                Assert.Equal(input, DtlsWire.ReorderClientHelloExtensions(input, [.. hello.Extensions.Select(e => e.Type)]));
            }

            ServerHelloInfo.TryRead(input, out _);
        }
    }

    private static Dictionary<string, byte[]> Vectors()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(VectorPath()));
        return doc.RootElement.GetProperty("unit_vectors").EnumerateArray()
            .ToDictionary(v => v.GetProperty("name").GetString()!, v => Convert.FromHexString(v.GetProperty("hex").GetString()!));
    }

    private static string CaptureHex(string name)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(VectorPath()));
        return doc.RootElement.GetProperty("capture").GetProperty("datagrams").EnumerateArray()
            .First(d => d.GetProperty("name").GetString() == name).GetProperty("hex").GetString()!;
    }

    private static string VectorPath()
    {
        string? shared = BrowserCaptures.SharedDirectory();
        string path = shared is null ? string.Empty : Path.Combine(shared, "vectors", "sctp", "dtls-records.json");
        if (!File.Exists(path))
        {
            Inroad.Testing.Prerequisites.Missing("../shared/vectors/sctp/dtls-records.json");
        }

        return path;
    }
}
