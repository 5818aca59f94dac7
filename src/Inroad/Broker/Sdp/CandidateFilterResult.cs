using Inroad.Broker.Matching;

namespace Inroad.Broker.Sdp;

/// <summary>What <see cref="CandidateFilter"/> did: counts, and the first GeoIP mismatch kept in personal mode (for logs).</summary>
internal struct CandidateFilterResult
{
    public int Kept;
    public int Dropped;
    public int GeoMismatches;
    public GeoKey FirstMismatch;
}
