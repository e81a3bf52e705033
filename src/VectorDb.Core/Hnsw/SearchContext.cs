namespace VectorDb.Hnsw;

/// <summary>
/// Per-thread scratch for one graph operation: visited set, heaps and buffers. Rented from the index's
/// pool and returned after use, so steady-state searches and inserts allocate nothing.
/// </summary>
internal sealed unsafe class SearchContext
{
    public SearchContext(int queryLength, int maxLinks)
    {
        Query = GC.AllocateUninitializedArray<float>(queryLength, pinned: true);
        Origin = GC.AllocateUninitializedArray<float>(queryLength, pinned: true);
        Candidate = GC.AllocateUninitializedArray<float>(queryLength, pinned: true);
        Sorted = new Neighbor[Math.Max(64, 2 * maxLinks + 2)];
        Selected = new int[maxLinks + 1];
        PruneCandidates = new Neighbor[2 * maxLinks + 2];
        PruneSelected = new int[maxLinks + 1];
        LinkSnapshot = new int[maxLinks + 1];
        Unseen = new int[(2 * maxLinks) + 1]; // a two-hop expansion gathers a node's links on a link layer too
        Rejected = new int[maxLinks + 1];
        Hopped = new int[(2 * maxLinks) + 1];
        RescueCandidates = new Neighbor[maxLinks + 1];
    }

    public VisitedSet Visited { get; } = new();

    /// <summary>The rejected nodes the current two-hop walk has looked through (see <c>HnswIndex.SearchLayerTwoHop</c>).</summary>
    public LookedThroughSet LookedThrough { get; } = new();

    /// <summary>Elements each distance of the current search reads: the whole vector, or a prefix for an
    /// adaptive-dimension search. Set when the context is rented.</summary>
    public nuint Dimensions;

    /// <summary>The rows the current search reads: the index's vectors, or its compact prefix copy. Set when rented.</summary>
    public byte* Vectors;

    /// <summary>Bytes from one row of <see cref="Vectors"/> to the next.</summary>
    public nint RowBytes;

    /// <summary>Bytes of a row that one distance reads: what a walk asks the cache for ahead of it.</summary>
    public nint ReadBytes;

    /// <summary>Distances computed by the current search, for explain.</summary>
    public int DistanceCount;

    /// <summary>Nodes whose links the current search read, for explain.</summary>
    public int VisitedCount;

    /// <summary>Matches a two-hop expansion looks at, at most (see <c>HnswIndex.SearchLayerTwoHop</c>).</summary>
    public int TwoHopBudget;

    /// <summary>The link layer a two-hop expansion of a match also follows (<see cref="WalkOptions.FollowLayer"/>), as a level; 0 for none.</summary>
    public int FollowLayer;

    /// <summary>The link layer a two-hop walk looks through rejected nodes along (<see cref="WalkOptions.LookThroughLayer"/>), as a level; 0 for none.</summary>
    public int LookThroughLayer;

    public NeighborHeap<ClosestFirst> Candidates { get; } = new(256);

    public NeighborHeap<FarthestFirst> Results { get; } = new(256);

    /// <summary>The nodes a walk has seen (see <c>SeenWalk</c>): an adaptive search's shortlist, an insert's wider choice of neighbours.</summary>
    public NeighborList Seen { get; } = new();

    /// <summary>The prepared query (normalised for cosine), 64-byte padded; while linking, the new node's vector.</summary>
    public float[] Query { get; }

    /// <summary>A stored vector decoded for distances from it to its neighbors (pruning a link list, repairs).</summary>
    public float[] Origin { get; }

    /// <summary>A candidate's stored vector decoded for the neighbor-selection heuristic.</summary>
    public float[] Candidate { get; }

    /// <summary>The query's coordinates along a rotated prefix's axes (see <c>HnswIndex.KeepRotatedPrefix</c>); grown on demand.</summary>
    public float[] RotatedQuery { get; private set; } = [];

    /// <summary>Search results in ascending distance, for neighbor selection.</summary>
    public Neighbor[] Sorted { get; private set; }

    public int[] Selected { get; }

    public Neighbor[] PruneCandidates { get; }

    public int[] PruneSelected { get; }

    public int[] LinkSnapshot { get; }

    /// <summary>The neighbors of the node being expanded that the search had not seen yet.</summary>
    public int[] Unseen { get; }

    /// <summary>A two-hop expansion's neighbors that the filter rejects, whose links it looks through.</summary>
    public int[] Rejected { get; }

    /// <summary>The matches a two-hop expansion found through rejected neighbors, to score.</summary>
    public int[] Hopped { get; }

    public Neighbor[] RescueCandidates { get; }

    /// <summary>Nodes that lost their last layer-0 in-link during the current operation.</summary>
    public List<int> Orphans { get; } = new(8);

    public void ResetCounters()
    {
        DistanceCount = 0;
        VisitedCount = 0;
    }

    /// <summary>The query's code row for a walk on codes; grown on demand, pinned.</summary>
    public byte[] QueryCodes { get; private set; } = [];

    /// <summary>The candidates a walk on codes found, before they are rescored; grown on demand.</summary>
    public Neighbor[] Rescored { get; private set; } = [];

    public byte* EnsureQueryCodes(int length)
    {
        if (QueryCodes.Length < length)
        {
            QueryCodes = GC.AllocateArray<byte>(length, pinned: true);
        }

        return (byte*)System.Runtime.CompilerServices.Unsafe.AsPointer(ref QueryCodes[0]);
    }

    public Neighbor[] EnsureRescored(int length)
    {
        if (Rescored.Length < length)
        {
            Rescored = new Neighbor[Math.Max(length, 2 * Rescored.Length)];
        }

        return Rescored;
    }

    public float[] EnsureRotatedQuery(int length)
    {
        if (RotatedQuery.Length < length)
        {
            RotatedQuery = GC.AllocateUninitializedArray<float>(length, pinned: true);
        }

        return RotatedQuery;
    }

    public Neighbor[] EnsureSorted(int size)
    {
        if (Sorted.Length < size)
        {
            Sorted = new Neighbor[Math.Max(size, Sorted.Length * 2)];
        }

        return Sorted;
    }
}
