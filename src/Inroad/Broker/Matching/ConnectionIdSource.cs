using System.Security.Cryptography;
using Inroad.Protocol;

namespace Inroad.Broker.Matching;

/// <summary>
/// Connection IDs for matches, cut from a 4 KiB block of system CSPRNG output. Each
/// <see cref="RandomNumberGenerator.Fill"/> call enters OpenSSL, which asks the kernel for the process ID
/// (its fork check) — a system call that cost ~3 µs per match on a paravirtualised VM, more than the
/// whole rest of a match. A block serves 128 matches; bytes handed out are wiped. Not thread-safe:
/// guarded by the matcher's lock.
/// </summary>
internal sealed class ConnectionIdSource
{
    private const int BlockSize = 4096;

    private readonly byte[] _block = new byte[BlockSize];
    private int _offset = BlockSize;

    /// <summary>A fresh unguessable non-zero ID.</summary>
    public Id32 Next()
    {
        while (true)
        {
            if (_offset == BlockSize)
            {
                RandomNumberGenerator.Fill(_block);
                _offset = 0;
            }

            Span<byte> bytes = _block.AsSpan(_offset, Id32.Length);
            _offset += Id32.Length;
            var id = Id32.From(bytes);
            bytes.Clear();
            if (!id.IsZero)
            {
                return id;
            }
        }
    }
}
