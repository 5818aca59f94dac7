namespace Inroad.Broker.Matching;

/// <summary>
/// Queued announcements as structs in fixed-size chunks, linked by index into per-queue FIFOs. Chunks
/// never move, so growing to millions of entries copies nothing and stays off the large-object churn a
/// doubling array would cause; a free list reuses slots.
/// </summary>
internal sealed class AnnouncementSlab
{
    private const int ChunkBits = 14;
    private const int ChunkSize = 1 << ChunkBits;
    private const int ChunkMask = ChunkSize - 1;

    private Slot[][] _chunks = new Slot[4][];
    private int _highWater;
    private int _free = -1;

    /// <summary>The slot with index <paramref name="index"/>.</summary>
    public ref Slot this[int index] => ref _chunks[index >> ChunkBits][index & ChunkMask];

    /// <summary>A free slot's index (its contents are stale until the caller sets them).</summary>
    public int Allocate()
    {
        if (_free >= 0)
        {
            int index = _free;
            _free = this[index].Next;
            return index;
        }

        int chunk = _highWater >> ChunkBits;
        if (chunk == _chunks.Length)
        {
            Array.Resize(ref _chunks, _chunks.Length * 2);
        }

        _chunks[chunk] ??= new Slot[ChunkSize];
        return _highWater++;
    }

    /// <summary>Returns a slot to the free list and drops its references.</summary>
    public void Free(int index)
    {
        ref Slot slot = ref this[index];
        slot = default;
        slot.Next = _free;
        _free = index;
    }

    /// <summary>
    /// One queued announcement: what a probe needs (deadline, geo, version) without dereferencing the ticket,
    /// and the proxy's limiter key, so releasing its per-IP count on a match does not wait for the ticket's
    /// cache miss first (the two misses overlap). 56 bytes.
    /// </summary>
    internal struct Slot
    {
        public AnnouncementTicket? Ticket;
        public Compartment? Compartment;
        public ulong IpHigh; // the RateLimitKey in two halves: a UInt128 field would align the slot to 16 bytes (64 in all)
        public ulong IpLow;

        public readonly RateLimitKey Ip => new(((UInt128)IpHigh << 64) | IpLow);
        public long DeadlineMs;
        public int Prev;
        public int Next;
        public uint Asn;
        public ushort Country;
        public byte Version;
        public byte Queue;
    }
}
