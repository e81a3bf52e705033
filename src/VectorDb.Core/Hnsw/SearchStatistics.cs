namespace VectorDb.Hnsw;

/// <summary>Work done by one or more searches, accumulated for explain.</summary>
public sealed class SearchStatistics
{
    /// <summary>Vector distances computed.</summary>
    public long DistanceComputations { get; private set; }

    /// <summary>Graph nodes whose links were read (for a scan: ids examined).</summary>
    public long NodesVisited { get; private set; }

    internal void Add(long distances, long visited)
    {
        DistanceComputations += distances;
        NodesVisited += visited;
    }
}
