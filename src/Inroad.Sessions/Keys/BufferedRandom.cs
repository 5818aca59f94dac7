using System.Security.Cryptography;

namespace Inroad.Sessions.Keys;

/// <summary>
/// Random bytes for nonces and IDs, read from <see cref="RandomNumberGenerator"/> 4 KB at a time per thread.
/// One RandomNumberGenerator call costs ~3.5 µs of CPU here whatever its size, which made three small calls the
/// largest single cost of a round trip. Every byte handed out is fresh CSPRNG output used once. Keys are not
/// drawn from here: they come from RandomNumberGenerator directly.
/// </summary>
internal static class BufferedRandom
{
    private const int BufferSize = 4096;

    [ThreadStatic]
    private static byte[]? t_buffer;

    [ThreadStatic]
    private static int t_offset;

    public static void Fill(Span<byte> destination)
    {
        if (destination.Length > BufferSize / 4)
        {
            RandomNumberGenerator.Fill(destination);
            return;
        }

        byte[]? buffer = t_buffer;
        if (buffer is null || BufferSize - t_offset < destination.Length)
        {
            buffer ??= t_buffer = new byte[BufferSize];
            RandomNumberGenerator.Fill(buffer);
            t_offset = 0;
        }

        Span<byte> source = buffer.AsSpan(t_offset, destination.Length);
        source.CopyTo(destination);

        // Wipe what was handed out so it cannot be handed out (or read) again.
        source.Clear();
        t_offset += destination.Length;
    }
}
