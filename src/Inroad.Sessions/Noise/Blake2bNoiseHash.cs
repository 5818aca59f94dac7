using Org.BouncyCastle.Crypto.Digests;

namespace Inroad.Sessions.Noise;

/// <summary>BLAKE2b-512 (RFC 7693) through BouncyCastle's managed digest; HASHLEN 64, BLOCKLEN 128.</summary>
internal sealed class Blake2bNoiseHash : NoiseHash
{
    private readonly Blake2bDigest _digest = new(512);

    public override int HashLen => 64;

    public override int BlockLen => 128;

    public override void Dispose() => _digest.Reset();

    protected override void Append(ReadOnlySpan<byte> data) => _digest.BlockUpdate(data);

    protected override void Finish(Span<byte> output) => _digest.DoFinal(output);
}
