namespace Inroad.Broker.Matching;

/// <summary>
/// One compartment's queues: announcements in six FIFOs (priority or not × three NAT classes), so the
/// preferred NAT class is found at a queue head instead of by scanning, and the offers waiting for a
/// proxy here. Guarded by the matcher's lock.
/// </summary>
internal sealed class Compartment
{
    /// <summary>Queues per tier (one per NAT traversal class).</summary>
    public const int ClassCount = 3;

    /// <summary>Priority tier then normal tier.</summary>
    public const int QueueCount = 2 * ClassCount;

    public Compartment(CompartmentKey key)
    {
        Key = key;
        Array.Fill(Heads, -1);
        Array.Fill(Tails, -1);
    }

    public CompartmentKey Key { get; }

    public int[] Heads { get; } = new int[QueueCount];

    public int[] Tails { get; } = new int[QueueCount];

    public int AnnouncementCount { get; set; }

    /// <summary>Offers waiting here, oldest first; entries no longer waiting are skipped and dropped lazily.</summary>
    public Queue<OfferTicket>? Offers { get; set; }

    /// <summary>True when nothing is queued, so the compartment can be forgotten.</summary>
    public bool IsEmpty => AnnouncementCount == 0 && (Offers is null || Offers.Count == 0);

    /// <summary>The queue for a tier and class.</summary>
    public static int QueueIndex(bool priority, int natClass) => (priority ? 0 : ClassCount) + natClass;
}
