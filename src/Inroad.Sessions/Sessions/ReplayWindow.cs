namespace Inroad.Sessions;

/// <summary>
/// Sliding anti-replay window over message counters (the RFC 6479 bitmap, as WireGuard uses it): the highest
/// counter seen and a ring of 128 words, accepting any unseen counter within 8,128 of the highest. Lets
/// concurrent requests of one session arrive out of order. Not thread-safe; its owner locks it.
/// </summary>
internal sealed class ReplayWindow
{
    private const int Words = 128;
    private const int WordBits = 64;

    /// <summary>Counters this far behind the highest are still accepted once.</summary>
    public const ulong Size = (Words - 1) * WordBits;

    private readonly ulong[] _ring = new ulong[Words];
    private ulong _highest;

    /// <summary>True when <paramref name="counter"/> would be accepted (checks only).</summary>
    public bool CanAccept(ulong counter)
    {
        if (counter > _highest)
        {
            return true;
        }

        if (_highest - counter > Size)
        {
            return false;
        }

        return (_ring[(counter / WordBits) % Words] & (1UL << (int)(counter % WordBits))) == 0;
    }

    /// <summary>Marks the counter seen; false when it is a replay or too old. Call only after the packet authenticated.</summary>
    public bool TryAccept(ulong counter)
    {
        if (!CanAccept(counter))
        {
            return false;
        }

        if (counter > _highest)
        {
            ulong current = _highest / WordBits;
            ulong target = counter / WordBits;
            ulong advance = Math.Min(target - current, Words);
            for (ulong i = 1; i <= advance; i++)
            {
                _ring[(current + i) % Words] = 0;
            }

            _highest = counter;
        }

        _ring[(counter / WordBits) % Words] |= 1UL << (int)(counter % WordBits);
        return true;
    }
}
