using System.Text.Json;
using Inroad.Sessions.Keys;
using Inroad.Sessions.Noise;

namespace Inroad.Sessions.Tests.Keys;

public sealed class KeyTests
{
    [Fact]
    public void Ed25519_to_X25519_matches_libsodium()
    {
        using JsonDocument doc = VectorFiles.Load("ed25519-to-x25519.json");
        JsonElement v = doc.RootElement.GetProperty("vectors")[0];
        using SessionPrivateKey key = SessionPrivateKey.FromSeed(v.Hex("ed25519_seed"));
        Assert.Equal(v.Hex("ed25519_public"), key.PublicKey.Ed25519.ToArray());
        Assert.Equal(v.Hex("x25519_private_unclamped"), key.X25519.ToArray());
        Assert.Equal(v.Hex("x25519_public"), key.PublicKey.X25519.ToArray());
        Assert.Equal(new PeerId(v.Hex("x25519_public")), key.Id);

        // X25519 of the derived private key gives the converted public key.
        byte[] pub = new byte[32];
        Curve25519.DerivePublicKey(key.X25519, pub);
        Assert.Equal(v.Hex("x25519_public"), pub);

        Assert.True(SessionPublicKey.TryCreate(v.Hex("ed25519_public"), out SessionPublicKey? parsed));
        Assert.Equal(v.Hex("x25519_public"), parsed!.X25519.ToArray());
    }

    [Fact]
    public void Libsodium_rejected_public_keys_are_rejected()
    {
        using JsonDocument doc = VectorFiles.Load("ed25519-to-x25519.json");
        foreach (JsonElement k in doc.RootElement.GetProperty("rejected_ed25519_public_keys").GetProperty("keys").EnumerateArray())
        {
            Assert.False(SessionPublicKey.TryCreate(Convert.FromHexString(k.GetString()!), out _), k.GetString());
        }
    }

    [Fact]
    public void Keys_and_secrets_round_trip_through_base64_raw()
    {
        using var key = SessionPrivateKey.Generate();
        string exported = key.Export();
        Assert.Equal(86, exported.Length);
        using SessionPrivateKey back = SessionPrivateKey.Parse(exported);
        Assert.Equal(key.PublicKey, back.PublicKey);
        Assert.Equal(43, key.PublicKey.ToString().Length);
        Assert.Equal(key.PublicKey, SessionPublicKey.Parse(key.PublicKey.ToString()));
        Assert.DoesNotContain(exported, key.ToString(), StringComparison.Ordinal);

        // A 64-byte key whose public half does not match its seed is refused.
        byte[] tampered = Convert.FromBase64String(exported + "==");
        tampered[40] ^= 1;
        Assert.False(SessionPrivateKey.TryParse(Base64Raw.Encode(tampered), out _));
        Assert.False(SessionPublicKey.TryParse("not base64!", out _));
    }
}
