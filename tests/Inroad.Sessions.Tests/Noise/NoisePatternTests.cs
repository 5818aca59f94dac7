using Inroad.Sessions.Noise;

namespace Inroad.Sessions.Tests.Noise;

public sealed class NoisePatternTests
{
    public static TheoryData<string> Protocols()
    {
        var data = new TheoryData<string>();
        foreach (string p in new[] { "N", "K", "X", "NN", "NK", "NX", "KN", "KK", "KX", "XN", "XK", "XX", "IN", "IK", "IX", "XKpsk3", "NNpsk0+psk2" })
        {
            foreach (string h in new[] { "BLAKE2b", "SHA256" })
            {
                data.Add($"Noise_{p}_25519_ChaChaPoly_{h}");
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Protocols))]
    public void Pattern_completes_and_tampering_any_byte_is_rejected_without_harm(string name)
    {
        NoiseProtocol protocol = NoiseProtocol.Parse(name);
        var rng = new Random(name.Length);
        byte[] iStatic = Key(rng), rStatic = Key(rng);
        byte[] iPub = new byte[32], rPub = new byte[32];
        Curve25519.DerivePublicKey(iStatic, iPub);
        Curve25519.DerivePublicKey(rStatic, rPub);
        byte[][] psks = [Key(rng), Key(rng)];
        bool initiatorKnown = protocol.Pattern.InitiatorPreMessage.Length > 0;
        bool responderKnown = protocol.Pattern.ResponderPreMessage.Length > 0;
        using var initiator = new HandshakeState(protocol, true, "p"u8, iStatic, responderKnown ? rPub : default, psks);
        using var responder = new HandshakeState(protocol, false, "p"u8, rStatic, initiatorKnown ? iPub : default, psks);

        byte[] message = new byte[1024];
        byte[] payload = new byte[1024];
        int index = 0;
        while (!initiator.IsCompleted)
        {
            HandshakeState writer = index % 2 == 0 ? initiator : responder;
            HandshakeState reader = index % 2 == 0 ? responder : initiator;
            byte[] body = [(byte)index, 1, 2, 3];
            int n = writer.WriteMessage(body, message);
            // A message is authenticated once any DH or psk has been mixed in (so far, in this pattern).
            bool authenticated = protocol.Pattern.Messages.Take(index + 1).SelectMany(m => m).Any(t => t is not (NoiseToken.E or NoiseToken.S));
            for (int i = 0; authenticated && i < n; i++)
            {
                byte[] tampered = message.AsSpan(0, n).ToArray();
                tampered[i] ^= 0x01;
                Assert.True(reader.ReadMessage(tampered, payload) < 0, $"tampered byte {i} of message {index} accepted");
            }

            if (authenticated)
            {
                Assert.Equal(-1, reader.ReadMessage(message.AsSpan(0, n - 1), payload));
            }

            Assert.Equal(body.Length, reader.ReadMessage(message.AsSpan(0, n), payload));
            Assert.Equal(body, payload.AsSpan(0, body.Length).ToArray());
            index++;
        }

        Assert.True(responder.IsCompleted);
        Assert.Equal(initiator.HandshakeHash.ToArray(), responder.HandshakeHash.ToArray());
        (CipherState i2r, CipherState r2i) = initiator.Split();
        (CipherState ri2r, CipherState rr2i) = responder.Split();
        int c = i2r.EncryptWithAd(default, "transport"u8, message);
        Assert.Equal(9, ri2r.DecryptWithAd(default, message.AsSpan(0, c), payload));
        if (!protocol.Pattern.IsOneWay)
        {
            c = rr2i.EncryptWithAd(default, "back"u8, message);
            Assert.Equal(4, r2i.DecryptWithAd(default, message.AsSpan(0, c), payload));
        }

        foreach (CipherState s in new[] { i2r, r2i, ri2r, rr2i })
        {
            s.Dispose();
        }
    }

    [Fact]
    public void Explicit_nonces_decrypt_out_of_order()
    {
        var c = new CipherState();
        c.InitializeKey(new byte[32]);
        byte[][] sealedMessages = Enumerable.Range(0, 5).Select(i =>
        {
            byte[] buffer = new byte[17];
            c.EncryptWithNonce((ulong)i, default, [(byte)i], buffer);
            return buffer;
        }).ToArray();
        byte[] plain = new byte[1];
        foreach (int i in new[] { 3, 0, 4, 1, 2 })
        {
            Assert.Equal(1, c.DecryptWithNonce((ulong)i, default, sealedMessages[i], plain));
            Assert.Equal(i, plain[0]);
        }

        Assert.Equal(-1, c.DecryptWithNonce(9, default, sealedMessages[0], plain));
        c.Dispose();
    }

    [Fact]
    public void Unknown_protocols_are_refused()
    {
        Assert.False(NoiseProtocol.TryParse("Noise_XK_448_ChaChaPoly_BLAKE2b", out _));
        Assert.False(NoiseProtocol.TryParse("Noise_ZZ_25519_ChaChaPoly_BLAKE2b", out _));
        Assert.False(NoiseProtocol.TryParse("Noise_XKpsk9_25519_ChaChaPoly_BLAKE2b", out _));
        Assert.False(NoiseProtocol.TryParse("Noise_XK_25519_AESGCM_SHA256", out _));
    }

    private static byte[] Key(Random rng)
    {
        byte[] k = new byte[32];
        rng.NextBytes(k);
        return k;
    }
}
