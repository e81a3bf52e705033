namespace VectorDb.Hnsw;

/// <summary>Work done by one or more searches, accumulated for explain.</summary>
public sealed class SearchStatistics
{
    /// <summary>Vector distances computed.</summary>
    public long DistanceComputations { get; private set; }

    /// <summary>Graph nodes whose links were read (for a scan: ids examined).</summary>
    public long NodesVisited { get; private set; }

    /// <summary>
    /// True when an unfiltered graph search found fewer than k nodes while the index held more, and an exact scan
    /// answered instead (see <see cref="HnswIndex.Search{TFilter}(ReadOnlySpan{float}, int, int, Span{Neighbor}, TFilter, in WalkOptions, SearchStatistics?)"/>).
    /// </summary>
    public bool FellBackToExact { get; private set; }

    /// <summary>Candidates of a walk on codes whose distances were computed again from the stored rows.</summary>
    public long Rescored { get; private set; }

    internal void AddRescored(long candidates) => Rescored += candidates;

    internal void MarkFallbackToExact() => FellBackToExact = true;

    internal void Add(long distances, long visited)
    {
        DistanceComputations += distances;
        NodesVisited += visited;
    }
}
