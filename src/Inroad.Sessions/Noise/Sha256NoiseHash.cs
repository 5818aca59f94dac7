using System.Security.Cryptography;

namespace Inroad.Sessions.Noise;

/// <summary>SHA-256 through .NET's incremental hash; HASHLEN 32, BLOCKLEN 64.</summary>
internal sealed class Sha256NoiseHash : NoiseHash
{
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

    public override int HashLen => 32;

    public override int BlockLen => 64;

    public override void Dispose() => _hash.Dispose();

    protected override void Append(ReadOnlySpan<byte> data) => _hash.AppendData(data);

    protected override void Finish(Span<byte> output) => _hash.GetHashAndReset(output);
}
