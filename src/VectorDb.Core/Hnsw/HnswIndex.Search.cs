using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;
using VectorDb.Distance;

namespace VectorDb.Hnsw;

public sealed unsafe partial class HnswIndex
{
    /// <summary>Approximate k nearest live nodes.</summary>
    /// <param name="query">Query vector (raw; normalised here for cosine).</param>
    /// <param name="k">Number of neighbors wanted.</param>
    /// <param name="ef">Beam width on layer 0; raised to <paramref name="k"/> if smaller.</param>
    /// <param name="results">Receives up to k neighbors, nearest first; must hold k.</param>
    /// <param name="statistics">When not null, receives the work done.</param>
    /// <returns>The number of neighbors written.</returns>
    public int Search(ReadOnlySpan<float> query, int k, int ef, Span<Neighbor> results, SearchStatistics? statistics = null) =>
        Search(query, k, ef, results, default(AcceptAll), new WalkOptions(), statistics);

    /// <summary>Approximate k nearest live nodes, using the codes as <paramref name="quantization"/> says (see <see cref="Quantize"/>).</summary>
    public int Search(ReadOnlySpan<float> query, int k, int ef, Span<Neighbor> results, QuantizationSearch quantization, SearchStatistics? statistics = null) =>
        Search(query, k, ef, results, default(AcceptAll), new WalkOptions { Quantization = quantization }, statistics);

    /// <summary>Approximate k nearest live nodes that <paramref name="filter"/> accepts, by a plain walk.</summary>
    public int Search<TFilter>(ReadOnlySpan<float> query, int k, int ef, Span<Neighbor> results, TFilter filter, SearchStatistics? statistics = null)
        where TFilter : struct, INodeFilter =>
        Search(query, k, ef, results, filter, new WalkOptions(), statistics);

    /// <summary>Approximate k nearest live nodes that <paramref name="filter"/> accepts.</summary>
    /// <param name="query">Query vector (raw; normalised here for cosine).</param>
    /// <param name="k">Number of neighbors wanted.</param>
    /// <param name="ef">Beam width on layer 0; raised to <paramref name="k"/> if smaller.</param>
    /// <param name="results">Receives up to k neighbors, nearest first; must hold k.</param>
    /// <param name="filter">Which nodes may be returned.</param>
    /// <param name="walk">How the walk treats rejected nodes, where it starts, which extra link layers it follows.</param>
    /// <param name="statistics">When not null, receives the work done.</param>
    /// <remarks>
    /// Without a filter the result holds min(k, <see cref="Count"/>) nodes: a walk that strands (see
    /// <see cref="ExactIfStranded"/>) is answered by an exact scan. A filtered search can return fewer than k; the
    /// query planner completes those answers.
    /// </remarks>
    public int Search<TFilter>(ReadOnlySpan<float> query, int k, int ef, Span<Neighbor> results, TFilter filter, scoped in WalkOptions walk, SearchStatistics? statistics = null)
        where TFilter : struct, INodeFilter
    {
        CheckK(k, results);
        int found;
        EnterShared();
        var context = RentContext();
        try
        {
            ref float prepared = ref PrepareQuery(query, context);
            var live = new LiveFilter<TFilter>(_states, filter);
            SetUpTwoHop(context, walk.AcceptedShare, LinkLayerLevel(walk.FollowLayer), LinkLayerLevel(walk.LookThroughLayer));
            if (WalksCodes(walk.Quantization))
            {
                found = SearchCodes(ref prepared, k, ef, results, context, live, walk, statistics);
            }
            else
            {
                found = Dispatch<SearchOperation<LiveFilter<TFilter>>, int>(
                    new(this, (float*)Unsafe.AsPointer(ref prepared), k, Math.Max(ef, k), results, context, live, walk.TwoHop, walk.Seeds, walk.Entry));
                statistics?.Add(context.DistanceCount, context.VisitedCount);
                VerifyServed(results[..found]);
            }
        }
        finally
        {
            ReturnContext(context);
            _resizeLock.ExitReadLock();
        }

        return typeof(TFilter) == typeof(AcceptAll) ? ExactIfStranded(query, k, found, results, statistics) : found;
    }

    /// <summary>
    /// An HNSW graph is not strongly connected: a walk can enter layer 0 in a small region whose links all lead back
    /// into it (seen while inserts run with a small M) and find fewer than k nodes while the index holds more. Such a
    /// query is answered by an exact scan instead of with fewer hits than asked for; it is rare, and then exact.
    /// </summary>
    private int ExactIfStranded(ReadOnlySpan<float> query, int k, int found, Span<Neighbor> results, SearchStatistics? statistics)
    {
        if (found >= k || found >= Count)
        {
            return found;
        }

        statistics?.MarkFallbackToExact();
        return ExactSearch(query, k, results, default(AcceptAll), statistics);
    }

    private static void CheckK(int k, Span<Neighbor> results)
    {
        if (k < 1)
        {
            throw new InvalidRequestException($"k must be at least 1, got {k}.");
        }

        if (results.Length < k)
        {
            throw new ArgumentException($"The result buffer holds {results.Length}, fewer than k = {k}.", nameof(results));
        }
    }

    private int SearchCore<TDistance, TFilter>(
        ref float query, int k, int ef, Span<Neighbor> results, SearchContext context, TFilter filter, bool twoHop, ReadOnlySpan<int> seeds, Neighbor? entry)
        where TDistance : struct, IDistanceFunction
        where TFilter : struct, INodeFilter =>
        SearchCore<TDistance, TFilter, IgnoreWalk>(ref query, k, ef, results, context, filter, twoHop, seeds, default, entry);

    private int SearchCore<TDistance, TFilter, TObserver>(
        ref float query, int k, int ef, Span<Neighbor> results, SearchContext context, TFilter filter, bool twoHop, ReadOnlySpan<int> seeds, TObserver observer,
        Neighbor? entry = null)
        where TDistance : struct, IDistanceFunction
        where TFilter : struct, INodeFilter
        where TObserver : struct, IWalkObserver
    {
        int current;
        float currentDistance;
        if (entry is { } given && (uint)given.Id < (uint)Math.Min(_count, _capacity))
        {
            (current, currentDistance) = (given.Id, given.Distance);
        }
        else if (!TryDescend<TDistance>(ref query, context, out current, out currentDistance))
        {
            return 0;
        }

        if (twoHop)
        {
            SearchLayerTwoHop<TDistance, TFilter, TObserver>(ref query, current, currentDistance, k, ef, context, filter, seeds, observer);
        }
        else
        {
            SearchLayer<TDistance, TFilter, TObserver>(ref query, current, currentDistance, ef, 0, context, filter, observer, seeds);
        }

        var heap = context.Results;
        while (heap.Count > k)
        {
            heap.Pop();
        }

        return heap.DrainSorted(results);
    }

    /// <summary>The greedy descent of the upper layers: where a search enters layer 0. False for an empty index.</summary>
    private bool TryDescend<TDistance>(ref float query, SearchContext context, out int current, out float currentDistance)
        where TDistance : struct, IDistanceFunction
    {
        long entry = Volatile.Read(ref _entry);
        if (entry == -1)
        {
            (current, currentDistance) = (-1, float.MaxValue);
            return false;
        }

        (current, int maxLevel) = UnpackEntry(entry);
        currentDistance = TDistance.Compute(ref query, ref SearchRow(context, current), context.Dimensions);
        context.DistanceCount++;
        for (int layer = maxLevel; layer > 0; layer--)
        {
            context.DistanceCount += GreedyClosest<TDistance>(ref query, layer, ref current, ref currentDistance, context);
        }

        return true;
    }

    /// <summary>Greedy walk to the closest node on an upper layer (the paper's search with ef = 1).</summary>
    /// <returns>The number of distances computed.</returns>
    private int GreedyClosest<TDistance>(ref float query, int layer, ref int current, ref float currentDistance, SearchContext context)
        where TDistance : struct, IDistanceFunction
    {
        int computed = 0;
        bool improved = true;
        bool requestAll = context.ReadBytes <= PrefetchBytes;
        while (improved)
        {
            improved = false;
            var block = UpperLinks(current, layer);
            int count = Volatile.Read(ref block[0]);
            computed += count;
            for (int i = 1; i <= count && (requestAll || i == 1); i++)
            {
                PrefetchVector(context, block[i]);
            }

            for (int i = 1; i <= count; i++)
            {
                int neighbor = block[i];
                if (!requestAll && i < count)
                {
                    PrefetchVector(context, block[i + 1]);
                }

                float distance = TDistance.Compute(ref query, ref SearchRow(context, neighbor), context.Dimensions);

                // A node being inserted is linked top-down, so for a moment an upper layer reaches it before it
                // has layer-0 links: a layer-0 search starting there would find nothing. Step only onto nodes
                // that have them.
                if (distance < currentDistance && Volatile.Read(ref BaseLinks(neighbor)[0]) > 0)
                {
                    currentDistance = distance;
                    current = neighbor;
                    improved = true;
                }
            }
        }

        return computed;
    }

    /// <summary>
    /// The paper's SEARCH-LAYER (Algorithm 2) with a beam of <paramref name="ef"/>. Nodes the filter rejects
    /// are expanded like any other but never enter the result heap, so deletions and filters do not cut
    /// the graph. Leaves the result in <c>context.Results</c>.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)] // own inlining budget: inlined into Search<TFilter>, it ran out and stopped inlining the filter and visited checks
    private void SearchLayer<TDistance, TFilter, TObserver>(
        ref float query, int entry, float entryDistance, int ef, int layer, SearchContext context, TFilter filter, TObserver observer, ReadOnlySpan<int> seeds = default)
        where TDistance : struct, IDistanceFunction
        where TFilter : struct, INodeFilter
        where TObserver : struct, IWalkObserver
    {
        var visited = context.Visited;
        var candidates = context.Candidates;
        var results = context.Results;
        float bound = StartBeam<TDistance, TFilter, TObserver>(ref query, entry, entryDistance, ef, context, filter, seeds, observer);
        observer.Observe(filter, entry, entryDistance);

        // Rows of up to PrefetchBytes are all requested before the first distance, so their misses overlap; longer
        // rows measured better loaded one ahead, where the hardware prefetcher follows each row's first lines.
        bool requestAll = context.ReadBytes <= PrefetchBytes;
        var unseen = context.Unseen;
        while (candidates.Count > 0)
        {
            var nearest = candidates.Top;
            if (nearest.Distance > bound && results.Count >= ef)
            {
                break;
            }

            candidates.Pop();
            context.VisitedCount++;
            if (layer <= 0 && candidates.Count > 0)
            {
                // The likely next expansion's links load while this one's distances are computed (as hnswlib does).
                PrefetchLinks(candidates.Top.Id, layer);
            }

            var block = Block(nearest.Id, layer);
            int count = Math.Min(Volatile.Read(ref block[0]), block.Length - 1);
            int fresh = 0;
            for (int i = 1; i <= count; i++)
            {
                int neighbor = block[i];
                if (visited.TryVisit(neighbor))
                {
                    unseen[fresh++] = neighbor;
                    if (requestAll)
                    {
                        PrefetchVector(context, neighbor);
                    }
                }
            }

            if (fresh > 0 && !requestAll)
            {
                PrefetchVector(context, unseen[0]);
            }

            for (int i = 0; i < fresh; i++)
            {
                int neighbor = unseen[i];
                if (i + 1 < fresh && !requestAll)
                {
                    // The next neighbor's row is loading while this one's distance is computed (as hnswlib does).
                    PrefetchVector(context, unseen[i + 1]);
                }

                context.DistanceCount++;
                float distance = TDistance.Compute(ref query, ref SearchRow(context, neighbor), context.Dimensions);
                observer.Observe(filter, neighbor, distance);
                if (results.Count < ef || distance < bound)
                {
                    candidates.Push(neighbor, distance);
                    if (filter.Accept(neighbor))
                    {
                        AdmitToBeam(results, neighbor, distance, ef);
                        bound = results.Top.Distance;
                    }
                }
            }
        }
    }

    /// <summary>
    /// Empties the scratch, puts the entry point in the beam (and in the result if accepted) and the accepted
    /// seeds in both (shown to the observer); returns the result's bound.
    /// </summary>
    private float StartBeam<TDistance, TFilter, TObserver>(
        ref float query, int entry, float entryDistance, int ef, SearchContext context, TFilter filter, ReadOnlySpan<int> seeds, TObserver observer)
        where TDistance : struct, IDistanceFunction
        where TFilter : struct, INodeFilter
        where TObserver : struct, IWalkObserver
    {
        context.Visited.Clear();
        context.Candidates.Clear();
        context.Results.Clear();
        context.Visited.TryVisit(entry);
        context.Candidates.Push(entry, entryDistance);
        if (filter.Accept(entry))
        {
            context.Results.Push(entry, entryDistance);
        }

        float bound = context.Results.Count > 0 ? context.Results.Top.Distance : float.MaxValue;
        int allocated = Math.Min(_count, _capacity);
        foreach (int seed in seeds)
        {
            if ((uint)seed < (uint)allocated && filter.Accept(seed))
            {
                ConsiderAccepted<TDistance, TObserver>(ref query, seed, ef, context, ref bound, observer);
            }
        }

        return bound;
    }

    /// <summary>Adds a node to a result heap of at most <paramref name="ef"/>; when full, it replaces the farthest if nearer (one sift instead of a push and a pop).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AdmitToBeam(NeighborHeap<FarthestFirst> results, int node, float distance, int ef)
    {
        if (results.Count < ef)
        {
            results.Push(node, distance);
        }
        else if (distance < results.Top.Distance)
        {
            results.ReplaceTop(node, distance);
        }
    }

    /// <summary>Requests a node's link block on layer 0 or a link layer (negative <paramref name="layer"/>) into the cache.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void PrefetchLinks(int id, int layer = 0)
    {
        if (Sse.IsSupported)
        {
            byte* block = (byte*)((layer == 0 ? _links0 : (int*)_linkLayers[~layer]) + ((nint)id * _linkStride0));
            byte* end = block + (_linkStride0 * sizeof(int));
            for (byte* line = block; line < end; line += 64)
            {
                Sse.Prefetch0(line);
            }

            Sse.Prefetch0(end - 1);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PrefetchVector(SearchContext context, int id)
    {
        if (Sse.IsSupported)
        {
            // Every line the row's first PrefetchBytes touch: rows need not start at a line (binary codes are 80 bytes apart).
            byte* row = context.Vectors + ((nint)id * context.RowBytes);
            byte* end = row + Math.Min(context.ReadBytes, PrefetchBytes);
            for (byte* line = (byte*)((nint)row & ~63); line < end; line += 64)
            {
                Sse.Prefetch0(line);
            }
        }
    }

    /// <summary>
    /// The caller's filter, then live nodes only. In that order because few nodes are deleted: a filter that rejects
    /// most of a walk's nodes then saves their state reads (in-process A/B, fashion-mnist: 10 % "u &lt; 100" +6–12 %,
    /// "label ≠ own" +6 %, the two-hop walk's second hops being mostly rejected nodes).
    /// </summary>
    private readonly struct LiveFilter<TInner>(byte[] states, TInner inner) : INodeFilter
        where TInner : struct, INodeFilter
    {
        private readonly TInner _inner = inner;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public bool Accept(int id) => _inner.Accept(id) && states[id] == StateLive;
    }
}
