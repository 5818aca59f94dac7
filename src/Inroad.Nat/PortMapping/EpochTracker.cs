namespace Inroad.Nat.PortMapping;

/// <summary>
/// Follows a port-mapping server's epoch time (RFC 6887 §8.5, RFC 6886 §3.6). The server's epoch must advance
/// with our own clock; when it went backwards, or advanced more than 1/16 (plus 2 s) slower or faster than ours,
/// the server lost its state (rebooted) and every mapping must be created again. Not thread-safe.
/// </summary>
internal sealed class EpochTracker(TimeProvider time)
{
    private uint? _epoch;
    private long _at;

    /// <summary>Records <paramref name="epoch"/>; true when it shows the server lost state since the last one.</summary>
    public bool Observe(uint epoch)
    {
        long now = time.GetTimestamp();
        bool lost = false;
        if (_epoch is uint previous)
        {
            double client = time.GetElapsedTime(_at, now).TotalSeconds;
            double server = (double)epoch - previous;
            lost = epoch + 1L < previous
                || client + 2 < server - (server / 16)
                || server + 2 < client - (client / 16);
        }

        _epoch = epoch;
        _at = now;
        return lost;
    }
}
