using System.Text.Json;
using Inroad.Sessions.Noise;

namespace Inroad.Sessions.Tests.Noise;

public sealed class NoiseVectorTests
{
    public static TheoryData<string, int> Vectors()
    {
        var data = new TheoryData<string, int>();
        foreach (string file in new[] { "cacophony.json", "snow.json", "flynn-noise.json" })
        {
            using JsonDocument doc = VectorFiles.Load(file);
            int count = doc.RootElement.GetProperty("vectors").GetArrayLength();
            for (int i = 0; i < count; i++)
            {
                data.Add(file, i);
            }
        }

        return data;
    }

    [Fact]
    public void All_226_vectors_are_present()
    {
        Assert.Equal(226, Vectors().Count);
    }

    [Theory]
    [MemberData(nameof(Vectors))]
    public void Vector_replays_byte_for_byte(string file, int index)
    {
        using JsonDocument doc = VectorFiles.Load(file);
        JsonElement v = doc.RootElement.GetProperty("vectors")[index];
        NoiseProtocol protocol = NoiseProtocol.Parse(v.GetProperty("protocol_name").GetString()!);

        using var initiator = new HandshakeState(protocol, true, v.Hex("init_prologue"), v.Hex("init_static"), v.Hex("init_remote_static"), Psks(v, "init_psks"), v.Hex("init_ephemeral"));
        using var responder = new HandshakeState(protocol, false, v.Hex("resp_prologue"), v.Hex("resp_static"), v.Hex("resp_remote_static"), Psks(v, "resp_psks"), v.Hex("resp_ephemeral"));

        CipherState? i2r = null, r2i = null, ri2r = null, rr2i = null;
        byte[] buffer = new byte[HandshakeState.MaxMessageLength];
        int i = 0;
        foreach (JsonElement message in v.GetProperty("messages").EnumerateArray())
        {
            byte[] payload = message.Hex("payload");
            byte[] expected = message.Hex("ciphertext");
            bool fromInitiator = message.TryGetProperty("sender", out JsonElement sender)
                ? sender.GetString() == "initiator"
                : i % 2 == 0;

            if (!initiator.IsCompleted || !responder.IsCompleted)
            {
                HandshakeState writer = fromInitiator ? initiator : responder;
                HandshakeState reader = fromInitiator ? responder : initiator;
                int n = writer.WriteMessage(payload, buffer);
                Assert.Equal(Convert.ToHexStringLower(expected), Convert.ToHexStringLower(buffer.AsSpan(0, n)));
                byte[] read = new byte[n];
                int m = reader.ReadMessage(expected, read);
                Assert.Equal(payload, read.AsSpan(0, m).ToArray());
                if (initiator.IsCompleted && responder.IsCompleted)
                {
                    Assert.Equal(initiator.HandshakeHash.ToArray(), responder.HandshakeHash.ToArray());
                    if (v.TryGetProperty("handshake_hash", out _))
                    {
                        Assert.Equal(v.Hex("handshake_hash"), initiator.HandshakeHash.ToArray());
                    }

                    (i2r, r2i) = initiator.Split();
                    (ri2r, rr2i) = responder.Split();
                }
            }
            else
            {
                CipherState send = fromInitiator ? i2r! : r2i!;
                CipherState receive = fromInitiator ? ri2r! : rr2i!;
                int n = send.EncryptWithAd(default, payload, buffer);
                Assert.Equal(Convert.ToHexStringLower(expected), Convert.ToHexStringLower(buffer.AsSpan(0, n)));
                byte[] read = new byte[n];
                int m = receive.DecryptWithAd(default, expected, read);
                Assert.Equal(payload, read.AsSpan(0, m).ToArray());
            }

            i++;
        }

        Assert.True(initiator.IsCompleted && responder.IsCompleted);
        foreach (CipherState? c in new[] { i2r, r2i, ri2r, rr2i })
        {
            c?.Dispose();
        }
    }

    private static byte[][] Psks(JsonElement v, string property) =>
        v.TryGetProperty(property, out JsonElement list) ? list.EnumerateArray().Select(e => Convert.FromHexString(e.GetString()!)).ToArray() : [];
}
