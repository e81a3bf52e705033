using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;
using VectorDb.Distance;

namespace VectorDb.Hnsw;

public sealed unsafe partial class HnswIndex
{
    /// <summary>Approximate k nearest live nodes.</summary>
    /// <param name="query">Query vector (raw; normalised here for cosine).</param>
    /// <param name="k">Number of neighbours wanted.</param>
    /// <param name="ef">Beam width on layer 0; raised to <paramref name="k"/> if smaller.</param>
    /// <param name="results">Receives up to k neighbours, nearest first; must hold k.</param>
    /// <param name="statistics">When not null, receives the work done.</param>
    /// <returns>The number of neighbours written.</returns>
    public int Search(ReadOnlySpan<float> query, int k, int ef, Span<Neighbor> results, SearchStatistics? statistics = null) =>
        Search(query, k, ef, results, default(AcceptAll), new WalkOptions(), statistics);

    /// <summary>Approximate k nearest live nodes that <paramref name="filter"/> accepts, by a plain walk.</summary>
    public int Search<TFilter>(ReadOnlySpan<float> query, int k, int ef, Span<Neighbor> results, TFilter filter, SearchStatistics? statistics = null)
        where TFilter : struct, INodeFilter =>
        Search(query, k, ef, results, filter, new WalkOptions(), statistics);

    /// <summary>Approximate k nearest live nodes that <paramref name="filter"/> accepts.</summary>
    /// <param name="query">Query vector (raw; normalised here for cosine).</param>
    /// <param name="k">Number of neighbours wanted.</param>
    /// <param name="ef">Beam width on layer 0; raised to <paramref name="k"/> if smaller.</param>
    /// <param name="results">Receives up to k neighbours, nearest first; must hold k.</param>
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
            found = Dispatch<SearchOperation<LiveFilter<TFilter>>, int>(
                new(this, (float*)Unsafe.AsPointer(ref prepared), k, Math.Max(ef, k), results, context, live, walk.TwoHop, walk.Seeds, walk.Entry));
            statistics?.Add(context.DistanceCount, context.VisitedCount);
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

    /// <summary>How many nodes <see cref="NeighbourhoodShare"/> looks at, at most.</summary>
    public const int NeighbourhoodSample = 128;

    /// <summary>
    /// The share of filter matches around a query: among the node where a search for it enters layer 0 (after the
    /// greedy descent of the upper layers), its layer-0 neighbours and theirs, up to <see cref="NeighbourhoodSample"/>
    /// nodes. A global count cannot tell a filter whose matches surround the query from one whose matches lie away
    /// from it (e.g. "any class but the query's"); this can, for the price of the descent and a few link blocks.
    /// </summary>
    /// <param name="query">Query vector (raw; normalised here for cosine).</param>
    /// <param name="filter">Which nodes match.</param>
    /// <param name="statistics">When not null, receives the work done.</param>
    /// <param name="entry">Where the descent entered layer 0: a search of the same query can start there instead of descending again.</param>
    /// <returns>Matches among the nodes looked at ÷ their number; 0 for an empty index.</returns>
    public double NeighbourhoodShare<TFilter>(ReadOnlySpan<float> query, TFilter filter, SearchStatistics? statistics, out Neighbor? entry)
        where TFilter : struct, INodeFilter
    {
        EnterShared();
        var context = RentContext();
        try
        {
            ref float prepared = ref PrepareQuery(query, context);
            var live = new LiveFilter<TFilter>(_states, filter);
            context.ResetCounters();
            var (share, node, distance) = Dispatch<NeighbourhoodShareOperation<LiveFilter<TFilter>>, (double, int, float)>(
                new(this, (float*)Unsafe.AsPointer(ref prepared), context, live));
            statistics?.Add(context.DistanceCount, 1);
            entry = node >= 0 ? new Neighbor(node, distance) : null;
            return share;
        }
        finally
        {
            ReturnContext(context);
            _resizeLock.ExitReadLock();
        }
    }

    private (double Share, int Entry, float EntryDistance) NeighbourhoodShareCore<TDistance, TFilter>(ref float query, SearchContext context, TFilter filter)
        where TDistance : struct, IDistanceFunction
        where TFilter : struct, INodeFilter
    {
        if (!TryDescend<TDistance>(ref query, context, out int current, out float currentDistance))
        {
            return (0, -1, float.MaxValue);
        }

        // The entry's own block holds ~M₀ nodes: a share of 75 % then reads anywhere from 58 % to 94 % (measured over
        // 40 builds), too coarse for a threshold; the neighbours' blocks add distinct nodes up to the sample size.
        var visited = context.Visited;
        visited.Clear();
        visited.TryVisit(current);
        int looked = 1, matches = filter.Accept(current) ? 1 : 0;
        var block = BaseLinks(current);
        int count = Math.Min(Volatile.Read(ref block[0]), block.Length - 1);
        for (int i = 1; i <= count; i++)
        {
            visited.TryVisit(block[i]);
            looked++;
            matches += filter.Accept(block[i]) ? 1 : 0;
        }

        for (int i = 1; i <= count && looked < NeighbourhoodSample; i++)
        {
            var next = BaseLinks(block[i]);
            int nextCount = Math.Min(Volatile.Read(ref next[0]), next.Length - 1);
            for (int j = 1; j <= nextCount && looked < NeighbourhoodSample; j++)
            {
                if (visited.TryVisit(next[j]))
                {
                    looked++;
                    matches += filter.Accept(next[j]) ? 1 : 0;
                }
            }
        }

        return (matches / (double)looked, current, currentDistance);
    }

    /// <summary>
    /// Adaptive-dimension search (AdANNS): the graph is walked comparing only the first
    /// <paramref name="searchDimensions"/> floats of each vector — cheap, and good enough to find the
    /// neighbourhood when the leading dimensions carry most of the signal (Matryoshka embeddings, or vectors
    /// rotated by PCA) — keeping the best <paramref name="shortlist"/> candidates, which are then rescored with
    /// the whole vector; the best k are returned with their full distances.
    /// </summary>
    /// <param name="query">Query vector (raw; normalised here for cosine).</param>
    /// <param name="k">Number of neighbours wanted.</param>
    /// <param name="ef">Beam width on layer 0; raised to k if smaller.</param>
    /// <param name="searchDimensions">Leading dimensions the traversal compares (1..dimensions).</param>
    /// <param name="shortlist">
    /// Candidates rescored with the whole vector: the best of all the nodes the walk computed a prefix distance
    /// for, so it may be longer than the beam (a narrow beam sees many more nodes than it keeps). Raised to k if smaller.
    /// </param>
    /// <param name="results">Receives up to k neighbours, nearest first by full distance; must hold k.</param>
    /// <param name="statistics">When not null, receives the work done (prefix and full distances both count one).</param>
    /// <param name="rescoreDimensions">
    /// Leading dimensions of the stored vectors the shortlist is rescored with (a longer Matryoshka prefix); null for
    /// all, which gives full-precision distances. Not with a rotated prefix, whose walk ranks by rotated coordinates.
    /// </param>
    /// <remarks>
    /// Like <see cref="Search{TFilter}(ReadOnlySpan{float}, int, int, Span{Neighbor}, TFilter, in WalkOptions, SearchStatistics?)"/>,
    /// a walk that strands with fewer than k nodes is answered by an exact scan (unless <paramref name="rescoreDimensions"/>
    /// is set, whose scores a scan of whole vectors would not match).
    /// </remarks>
    /// <exception cref="InvalidRequestException"><paramref name="searchDimensions"/> or <paramref name="rescoreDimensions"/> is out of range.</exception>
    public int SearchAdaptive(
        ReadOnlySpan<float> query, int k, int ef, int searchDimensions, int shortlist, Span<Neighbor> results, SearchStatistics? statistics = null, int? rescoreDimensions = null)
    {
        CheckK(k, results);
        if (searchDimensions < 1 || searchDimensions > _dimensions)
        {
            throw new InvalidRequestException($"search_dims must be between 1 and {_dimensions}, got {searchDimensions}.");
        }

        int rescored = rescoreDimensions ?? _dimensions;
        if (rescored < searchDimensions || rescored > _dimensions)
        {
            throw new InvalidRequestException($"rescore_dims must be between search_dims ({searchDimensions}) and {_dimensions}, got {rescored}.");
        }

        if (rescored < _dimensions && _prefixAxes is not null)
        {
            throw new InvalidRequestException("rescore_dims cannot be combined with a PCA rotation: the stored vectors are not rotated, so their prefixes carry no more than any other dimensions.");
        }

        shortlist = Math.Max(shortlist, k);
        int found;
        EnterShared();
        var context = RentContext();
        try
        {
            ref float prepared = ref PrepareQuery(query, context);
            ref float walked = ref prepared;
            context.ResetCounters();
            context.Dimensions = (nuint)searchDimensions;
            bool rotated = _prefixAxes is not null && searchDimensions < _dimensions; // the whole vector is walked unrotated
            if (rotated)
            {
                if (searchDimensions > RotatedRows)
                {
                    throw new InvalidRequestException($"search_dims must be at most {RotatedRows} (the rotated prefix this index keeps) or {_dimensions}, got {searchDimensions}.");
                }

                walked = ref RotateQuery(context, _prefixAxes!, searchDimensions);
            }

            // A rotated arena holds projected coordinates: only a rotated walk may read it, however wide its rows are.
            if (_prefixes != null && (rotated || (_prefixAxes is null && searchDimensions <= _prefixStride)))
            {
                context.Vectors = _prefixes;
                context.RowBytes = (nint)_prefixStride * _elementBytes;
            }

            found = Dispatch<AdaptiveOperation, int>(new(
                this, (float*)Unsafe.AsPointer(ref walked), (float*)Unsafe.AsPointer(ref prepared), k, ef, shortlist, rescored, results, context));
            statistics?.Add(context.DistanceCount, context.VisitedCount);
        }
        finally
        {
            ReturnContext(context);
            _resizeLock.ExitReadLock();
        }

        return rescored == _dimensions ? ExactIfStranded(query, k, found, results, statistics) : found;
    }

    /// <summary>The query's first <paramref name="rows"/> coordinates along the axes, in the context's second query buffer.</summary>
    private ref float RotateQuery(SearchContext context, float[] axes, int rows)
    {
        var rotated = context.EnsureRotatedQuery(_prefixStride);
        var query = context.Query.AsSpan(0, _dimensions);
        for (int r = 0; r < rows; r++)
        {
            rotated[r] = System.Numerics.Tensors.TensorPrimitives.Dot(axes.AsSpan(r * _dimensions, _dimensions), query);
        }

        return ref rotated[0];
    }

    /// <summary>
    /// The prefix walk (with <paramref name="walked"/>, the query as the prefix rows read it) collects the shortlist,
    /// which is rescored against whole rows with <paramref name="query"/>; the best k go to results. Returns their count.
    /// </summary>
    private int AdaptiveCore<TDistance>(ref float walked, ref float query, int k, int ef, int shortlist, int rescoreDimensions, Span<Neighbor> results, SearchContext context)
        where TDistance : struct, IDistanceFunction
    {
        var seen = context.Seen;
        seen.Clear();
        Span<Neighbor> entry = stackalloc Neighbor[1];
        SearchCore<TDistance, LiveFilter<AcceptAll>, SeenWalk>(
            ref walked, 1, Math.Max(ef, k), entry, context, new LiveFilter<AcceptAll>(_states, default), false, default, new SeenWalk(seen));
        return Rescore<TDistance>(ref query, seen.SelectNearest(shortlist), k, rescoreDimensions, results, context);
    }

    /// <summary>
    /// Rescores a shortlist, sorted by prefix distance, with whole rows (or their first <paramref name="rescoreDimensions"/>). For sums of non-negative terms (L2², L1) a
    /// prefix distance is a lower bound of the whole (of the unrotated prefix's, and of a rotated one's for L2, which
    /// rotations preserve), so once it reaches the k-th best whole distance so far, neither it nor any later candidate
    /// can enter the top k; and a whole distance is summed block by block, dropping the candidate as soon as it passes
    /// that bound. Both are exact, and cut most of the reads when the leading dimensions carry most of the distance.
    /// </summary>
    private int Rescore<TDistance>(ref float query, Span<Neighbor> shortlist, int k, int rescoreDimensions, Span<Neighbor> results, SearchContext context)
        where TDistance : struct, IDistanceFunction
    {
        const int Block = 128; // elements summed between two looks at the bound: 512 bytes of float32, eight cache lines
        bool prefixBounds = TDistance.SumsNonNegativeTerms && (_prefixAxes is null || Metric == DistanceMetric.Euclid);
        const float Slack = 1.0001f; // a prefix sum (over projected coordinates, or summed in another order) carries rounding of its own
        var best = context.Results;
        best.Clear();
        nuint dimensions = (nuint)rescoreDimensions;
        for (int i = 0; i < shortlist.Length; i++)
        {
            float bound = best.Count < k ? float.PositiveInfinity : best.Top.Distance;
            if (prefixBounds && shortlist[i].Distance >= bound * Slack)
            {
                break;
            }

            int node = shortlist[i].Id;
            if (i + 1 < shortlist.Length && Sse.IsSupported)
            {
                Sse.Prefetch0(VectorPointer(shortlist[i + 1].Id));
            }

            context.DistanceCount++;
            ref byte row = ref VectorRef(node);
            float distance;
            if (!TDistance.SumsNonNegativeTerms || float.IsPositiveInfinity(bound))
            {
                distance = TDistance.Compute(ref query, ref row, dimensions);
            }
            else
            {
                distance = 0;
                for (nuint done = 0; done < dimensions && distance < bound; done += Block)
                {
                    distance += TDistance.Compute(ref Unsafe.Add(ref query, done), ref Unsafe.Add(ref row, done * (nuint)TDistance.ElementBytes), Math.Min(Block, dimensions - done));
                }

                if (distance >= bound)
                {
                    continue;
                }
            }

            AdmitToBeam(best, node, distance, k);
        }

        return best.DrainSorted(results);
    }

    /// <summary>
    /// Exact k nearest among <paramref name="nodes"/> (deleted and unknown ids are skipped): for a filter that matches
    /// few nodes, which the caller has listed.
    /// </summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellation"/> fired during the scan.</exception>
    public int ExactSearch(
        ReadOnlySpan<float> query, int k, Span<Neighbor> results, ReadOnlySpan<int> nodes, SearchStatistics? statistics = null, CancellationToken cancellation = default)
    {
        CheckK(k, results);
        EnterShared();
        var context = RentContext();
        try
        {
            ref float prepared = ref PrepareQuery(query, context);
            var heap = context.Results;
            heap.Clear();
            int computed = Dispatch<ScanListOperation, int>(new(this, (float*)Unsafe.AsPointer(ref prepared), nodes, k, heap, cancellation));
            statistics?.Add(computed, nodes.Length);
            return heap.DrainSorted(results);
        }
        finally
        {
            ReturnContext(context);
            _resizeLock.ExitReadLock();
        }
    }

    /// <summary>Exact k nearest live nodes by scanning every vector (brute force).</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellation"/> fired during the scan.</exception>
    public int ExactSearch(ReadOnlySpan<float> query, int k, Span<Neighbor> results, CancellationToken cancellation = default) =>
        ExactSearch(query, k, results, default(AcceptAll), statistics: null, cancellation);

    /// <summary>Exact k nearest live nodes that <paramref name="filter"/> accepts.</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellation"/> fired during the scan.</exception>
    public int ExactSearch<TFilter>(ReadOnlySpan<float> query, int k, Span<Neighbor> results, TFilter filter, CancellationToken cancellation = default)
        where TFilter : struct, INodeFilter =>
        ExactSearch(query, k, results, filter, statistics: null, cancellation);

    /// <summary>Exact k nearest live nodes that <paramref name="filter"/> accepts.</summary>
    /// <param name="query">Query vector (raw; normalised here for cosine).</param>
    /// <param name="k">Number of neighbours wanted.</param>
    /// <param name="results">Receives up to k neighbours, nearest first; must hold k.</param>
    /// <param name="filter">Which nodes may be returned.</param>
    /// <param name="statistics">When not null, receives the work done: a distance per accepted live node, every row examined.</param>
    /// <param name="cancellation">Stops the scan (checked every 8,192 rows).</param>
    /// <exception cref="OperationCanceledException"><paramref name="cancellation"/> fired during the scan.</exception>
    public int ExactSearch<TFilter>(ReadOnlySpan<float> query, int k, Span<Neighbor> results, TFilter filter, SearchStatistics? statistics, CancellationToken cancellation = default)
        where TFilter : struct, INodeFilter
    {
        CheckK(k, results);
        EnterShared();
        var context = RentContext();
        try
        {
            ref float prepared = ref PrepareQuery(query, context);
            context.ResetCounters();
            var live = new LiveFilter<TFilter>(_states, filter);
            int found = Dispatch<ExactOperation<LiveFilter<TFilter>>, int>(new(this, (float*)Unsafe.AsPointer(ref prepared), k, results, context, live, cancellation));
            statistics?.Add(context.DistanceCount, Math.Min(_count, _capacity));
            return found;
        }
        finally
        {
            ReturnContext(context);
            _resizeLock.ExitReadLock();
        }
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
            SearchLayerTwoHop<TDistance, TFilter>(ref query, current, currentDistance, k, ef, context, filter, seeds);
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
        bool requestAll = (nint)context.Dimensions * context.ElementBytes <= PrefetchBytes;
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
        float bound = StartBeam<TDistance, TFilter>(ref query, entry, entryDistance, ef, context, filter, seeds);
        observer.Observe(filter, entry, entryDistance);

        // Rows of up to PrefetchBytes are all requested before the first distance, so their misses overlap; longer
        // rows measured better loaded one ahead, where the hardware prefetcher follows each row's first lines.
        bool requestAll = (nint)context.Dimensions * context.ElementBytes <= PrefetchBytes;
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
                    // The next neighbour's row is loading while this one's distance is computed (as hnswlib does).
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
    /// Layer-0 search over the subgraph the filter accepts, after ACORN-1 (Patel et al., SIGMOD 2024): only
    /// accepted nodes get a distance and enter the beam. Each expansion takes the node's accepted neighbours,
    /// then looks through its rejected neighbours to their accepted neighbours, up to M₀·(2 − share of matches)
    /// accepted nodes looked at in all, seen ones included (after the paper's truncation: it bounds the work per
    /// expansion while keeping the accepted subgraph connected down to a selectivity of a few percent; below that
    /// the planner scans the matches instead).
    /// Until the beam holds k matches, rejected neighbours are also walked like in a plain search, so a query
    /// whose neighbourhood holds no match still finds its way to the matches. A rejected node already looked through
    /// in full is not read again (<see cref="LookedThroughSet"/>). With a look-through layer (<see cref="SearchContext.LookThroughLayer"/>)
    /// a rejected node is looked through along it (to nodes likely accepted) rather than along its graph links.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)] // own inlining budget: inlined into Search<TFilter>, it ran out and stopped inlining the filter and visited checks
    private void SearchLayerTwoHop<TDistance, TFilter>(
        ref float query, int entry, float entryDistance, int k, int ef, SearchContext context, TFilter filter, ReadOnlySpan<int> seeds)
        where TDistance : struct, IDistanceFunction
        where TFilter : struct, INodeFilter
    {
        var visited = context.Visited;
        var candidates = context.Candidates;
        var results = context.Results;
        float bound = StartBeam<TDistance, TFilter>(ref query, entry, entryDistance, ef, context, filter, seeds);
        bool requestAll = (nint)context.Dimensions * context.ElementBytes <= PrefetchBytes;

        // Each expansion first gathers what it will read, requesting it from memory, then computes: the rows of
        // the nodes to score (matches; rejected ones too while seeking, stored as ~id) and the link blocks of the
        // rejected neighbours, then the rows of the matches two hops away. Done one by one, each was a miss in turn.
        var scored = context.Unseen;
        var rejected = context.Rejected;
        var hopped = context.Hopped;
        var lookedThrough = context.LookedThrough;
        lookedThrough.Reset(_capacity);
        while (candidates.Count > 0)
        {
            var nearest = candidates.Top;
            if (nearest.Distance > bound && results.Count >= ef)
            {
                break;
            }

            candidates.Pop();
            context.VisitedCount++;
            var block = BaseLinks(nearest.Id);
            int count = Math.Min(Volatile.Read(ref block[0]), block.Length - 1);
            // Seeking is bounded: if ef·M₀ distances find fewer than k matches, the caller's exact scan will.
            bool seeking = results.Count < k && context.DistanceCount < ef * _m0;
            int budget = context.TwoHopBudget;
            int toScore = 0;
            int rejectedCount = 0;
            for (int i = 1; i <= count; i++)
            {
                int neighbor = block[i];
                if (filter.Accept(neighbor))
                {
                    budget--;
                    if (visited.TryVisit(neighbor))
                    {
                        scored[toScore++] = neighbor;
                        RequestRow(context, neighbor, requestAll, toScore);
                    }
                }
                else
                {
                    rejected[rejectedCount++] = neighbor;
                    if (!lookedThrough.TryGet(neighbor, out _))
                    {
                        PrefetchLinks(neighbor, context.LookThroughLayer);
                    }
                    if (seeking && visited.TryVisit(neighbor))
                    {
                        // No match in reach yet: walk the rejected node too, as a plain search would.
                        scored[toScore++] = ~neighbor;
                        RequestRow(context, neighbor, requestAll, toScore);
                    }
                }
            }

            if (context.FollowLayer != 0 && filter.Accept(nearest.Id))
            {
                // Recall at ef 16 on "any label but the query's": 0.972 → 0.981 for ~6 % more distances (docs/planner.md).
                var followed = LayerLinks(nearest.Id, context.FollowLayer);
                int followedCount = Math.Min(Volatile.Read(ref followed[0]), followed.Length - 1);
                for (int i = 1; i <= followedCount; i++)
                {
                    int neighbor = followed[i];
                    if (filter.Accept(neighbor) && visited.TryVisit(neighbor))
                    {
                        scored[toScore++] = neighbor;
                        RequestRow(context, neighbor, requestAll, toScore);
                    }
                }
            }

            ScoreGathered<TDistance>(ref query, scored.AsSpan(0, toScore), ef, context, requestAll, ref bound);

            int toHop = 0;
            for (int i = 0; i < rejectedCount && budget > 0; i++)
            {
                int through = rejected[i];
                if (lookedThrough.TryGet(through, out int acceptedBefore))
                {
                    budget -= acceptedBefore;
                    continue;
                }

                var hop = LookThroughLinks(through, context.LookThroughLayer);
                int hopCount = Math.Min(Volatile.Read(ref hop[0]), hop.Length - 1);
                int accepted = 0;
                int j = 1;
                for (; j <= hopCount && budget > 0; j++)
                {
                    int second = hop[j];
                    if (filter.Accept(second))
                    {
                        budget--;
                        accepted++;
                        if (visited.TryVisit(second))
                        {
                            hopped[toHop++] = second;
                            RequestRow(context, second, requestAll, toHop);
                        }
                    }
                }

                if (j > hopCount)
                {
                    lookedThrough.Add(through, accepted);
                }
            }

            ScoreGathered<TDistance>(ref query, hopped.AsSpan(0, toHop), ef, context, requestAll, ref bound);
        }
    }

    /// <summary>
    /// The links a two-hop walk looks through a rejected node along: its links on the look-through layer
    /// (<paramref name="layer"/> ≠ 0) when it has any, else its graph links.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private Span<int> LookThroughLinks(int node, int layer)
    {
        if (layer != 0)
        {
            var extra = LayerLinks(node, layer);
            if (Volatile.Read(ref extra[0]) > 0)
            {
                return extra;
            }
        }

        return BaseLinks(node);
    }

    /// <summary>
    /// Resets the counters and sets what a two-hop walk reads from the context: its budget, M₀·(2 − share of matches)
    /// matches looked at per expansion, and the link layers (as levels, 0 for none) it follows and looks through along.
    /// </summary>
    private void SetUpTwoHop(SearchContext context, double acceptedShare, int followLevel, int lookThroughLevel)
    {
        context.ResetCounters();
        context.TwoHopBudget = (int)(_m0 * (2 - Math.Clamp(acceptedShare, 0, 1)));
        context.FollowLayer = followLevel;
        context.LookThroughLayer = lookThroughLevel;
    }

    /// <summary>A link layer's handle as the (negative) level the layer code takes, 0 for none or a removed one.</summary>
    private int LinkLayerLevel(int? handle) => handle is int h && (uint)h < (uint)_linkLayers.Length && _linkLayers[h] != 0 ? ~h : 0;

    /// <summary>Asks for a gathered node's row: every short row at once, a long one only if it is the first (the rest load one ahead).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void RequestRow(SearchContext context, int node, bool requestAll, int gathered)
    {
        if (requestAll || gathered == 1)
        {
            PrefetchVector(context, node);
        }
    }

    /// <summary>
    /// Computes the distances of nodes gathered by a two-hop expansion, in order: a match (id ≥ 0) is offered to the
    /// beam and the result, a rejected node walked while seeking (stored as ~id) to the beam only.
    /// </summary>
    private static void ScoreGathered<TDistance>(ref float query, ReadOnlySpan<int> gathered, int ef, SearchContext context, bool requestAll, ref float bound)
        where TDistance : struct, IDistanceFunction
    {
        var results = context.Results;
        for (int i = 0; i < gathered.Length; i++)
        {
            if (!requestAll && i + 1 < gathered.Length)
            {
                int next = gathered[i + 1];
                PrefetchVector(context, next < 0 ? ~next : next);
            }

            int entry = gathered[i];
            int node = entry < 0 ? ~entry : entry;
            context.DistanceCount++;
            float distance = TDistance.Compute(ref query, ref SearchRow(context, node), context.Dimensions);
            if (entry >= 0)
            {
                OfferAccepted(node, distance, ef, context, ref bound);
            }
            else if (results.Count < ef || distance < bound)
            {
                context.Candidates.Push(node, distance);
            }
        }
    }

    /// <summary>
    /// Empties the scratch, puts the entry point in the beam (and in the result if accepted) and the accepted
    /// seeds in both; returns the result's bound.
    /// </summary>
    private float StartBeam<TDistance, TFilter>(ref float query, int entry, float entryDistance, int ef, SearchContext context, TFilter filter, ReadOnlySpan<int> seeds)
        where TDistance : struct, IDistanceFunction
        where TFilter : struct, INodeFilter
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
                ConsiderAccepted<TDistance>(ref query, seed, ef, context, ref bound);
            }
        }

        return bound;
    }

    /// <summary>Computes an accepted node's distance (once) and offers it to the beam and the result.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ConsiderAccepted<TDistance>(ref float query, int node, int ef, SearchContext context, ref float bound)
        where TDistance : struct, IDistanceFunction
    {
        if (!context.Visited.TryVisit(node))
        {
            return;
        }

        context.DistanceCount++;
        OfferAccepted(node, TDistance.Compute(ref query, ref SearchRow(context, node), context.Dimensions), ef, context, ref bound);
    }

    /// <summary>Offers an accepted node at a computed distance to the beam and the result.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void OfferAccepted(int node, float distance, int ef, SearchContext context, ref float bound)
    {
        var results = context.Results;
        if (results.Count < ef || distance < bound)
        {
            context.Candidates.Push(node, distance);
            AdmitToBeam(results, node, distance, ef);
            bound = results.Top.Distance;
        }
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
            byte* row = context.Vectors + ((nint)id * context.RowBytes);
            nint bytes = Math.Min((nint)context.Dimensions * context.ElementBytes, PrefetchBytes);
            for (nint offset = 0; offset < bytes; offset += 64)
            {
                Sse.Prefetch0(row + offset);
            }
        }
    }

    private int ScanList<TDistance>(ref float query, ReadOnlySpan<int> nodes, int k, NeighborHeap<FarthestFirst> heap, CancellationToken cancellation)
        where TDistance : struct, IDistanceFunction
    {
        int partitions = ScanPartitions(nodes.Length);
        if (partitions == 1)
        {
            return ScanListRange<TDistance>(ref query, nodes, k, heap, cancellation);
        }

        float* queryPointer = (float*)Unsafe.AsPointer(ref query); // pinned: SearchContext.Query is on the pinned heap
        fixed (int* pinned = nodes)
        {
            int* list = pinned;
            return ScanInPartitions(
                nodes.Length, partitions, k, heap,
                (start, end, partial) => ScanListRange<TDistance>(ref *queryPointer, new ReadOnlySpan<int>(list + start, end - start), k, partial, cancellation),
                cancellation);
        }
    }

    private int ScanListRange<TDistance>(ref float query, ReadOnlySpan<int> nodes, int k, NeighborHeap<FarthestFirst> heap, CancellationToken cancellation)
        where TDistance : struct, IDistanceFunction
    {
        int computed = 0;
        int allocated = Math.Min(_count, _capacity);
        for (int i = 0; i < nodes.Length; i++)
        {
            int node = nodes[i];
            if ((i & (CancellationCheckInterval - 1)) == 0)
            {
                cancellation.ThrowIfCancellationRequested();
            }

            if ((uint)node >= (uint)allocated || _states[node] != StateLive)
            {
                continue;
            }

            computed++;
            Offer(heap, new Neighbor(node, TDistance.Compute(ref query, ref VectorRef(node), (nuint)_dimensions)), k);
        }

        return computed;
    }

    private int ExactCore<TDistance, TFilter>(ref float query, int k, Span<Neighbor> results, SearchContext context, TFilter filter, CancellationToken cancellation)
        where TDistance : struct, IDistanceFunction
        where TFilter : struct, INodeFilter
    {
        int count = Math.Min(_count, _capacity);
        int partitions = ScanPartitions(count);
        var heap = context.Results;
        heap.Clear();
        if (partitions == 1)
        {
            context.DistanceCount += ScanRange<TDistance, TFilter>(ref query, 0, count, k, heap, filter, cancellation);
        }
        else
        {
            float* queryPointer = (float*)Unsafe.AsPointer(ref query); // pinned: SearchContext.Query is on the pinned heap
            context.DistanceCount += ScanInPartitions(
                count, partitions, k, heap,
                (start, end, partial) => ScanRange<TDistance, TFilter>(ref *queryPointer, start, end, k, partial, filter, cancellation),
                cancellation);
        }

        return heap.DrainSorted(results);
    }

    private int ScanPartitions(int rows) => ScanPartitions(rows, _dimensions);

    /// <summary>
    /// Ranges an exact scan of <paramref name="rows"/> rows is split into, one per core: scans of fewer than ~2 M
    /// values take well under a millisecond, and splitting them costs more than it saves.
    /// </summary>
    internal static int ScanPartitions(int rows, int dimensions) => (long)rows * dimensions < (1L << 21) ? 1 : Math.Min(Environment.ProcessorCount, 64);

    /// <summary>
    /// Runs <paramref name="scan"/> over [0, <paramref name="count"/>) in <paramref name="partitions"/> ranges on all
    /// cores, each into its own pooled heap, and merges their top k into <paramref name="heap"/>. Returns the sum of what
    /// the scans return.
    /// </summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellation"/> fired during the scan (not wrapped in an AggregateException).</exception>
    private int ScanInPartitions(
        int count, int partitions, int k, NeighborHeap<FarthestFirst> heap, Func<int, int, NeighborHeap<FarthestFirst>, int> scan, CancellationToken cancellation)
    {
        var partial = new Neighbor[partitions][];
        var partialCounts = new int[partitions];
        int scanned = 0;
        try
        {
            Parallel.For(0, partitions, p =>
            {
                var local = RentContext();
                try
                {
                    int start = (int)((long)count * p / partitions);
                    int end = (int)((long)count * (p + 1) / partitions);
                    local.Results.Clear();
                    Interlocked.Add(ref scanned, scan(start, end, local.Results));
                    partial[p] = new Neighbor[k];
                    partialCounts[p] = local.Results.DrainSorted(partial[p]);
                }
                finally
                {
                    ReturnContext(local);
                }
            });
        }
        catch (AggregateException e) when (e.InnerExceptions.All(inner => inner is OperationCanceledException))
        {
            throw new OperationCanceledException(e.InnerExceptions[0].Message, e, cancellation);
        }

        for (int p = 0; p < partitions; p++)
        {
            for (int i = 0; i < partialCounts[p]; i++)
            {
                Offer(heap, partial[p][i], k);
            }
        }

        return scanned;
    }

    /// <returns>The number of distances computed: one per node the filter accepts.</returns>
    private int ScanRange<TDistance, TFilter>(ref float query, int start, int end, int k, NeighborHeap<FarthestFirst> heap, TFilter filter, CancellationToken cancellation)
        where TDistance : struct, IDistanceFunction
        where TFilter : struct, INodeFilter
    {
        int computed = 0;
        for (int blockStart = start; blockStart < end; blockStart += CancellationCheckInterval)
        {
            cancellation.ThrowIfCancellationRequested();
            int blockEnd = Math.Min(end, blockStart + CancellationCheckInterval);
            for (int id = blockStart; id < blockEnd; id++)
            {
                if (!filter.Accept(id))
                {
                    continue;
                }

                computed++;
                Offer(heap, new Neighbor(id, TDistance.Compute(ref query, ref VectorRef(id), (nuint)_dimensions)), k);
            }
        }

        return computed;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Offer(NeighborHeap<FarthestFirst> heap, Neighbor candidate, int k)
    {
        if (heap.Count < k)
        {
            heap.Push(candidate.Id, candidate.Distance);
        }
        else if (candidate.Distance < heap.Top.Distance)
        {
            heap.ReplaceTop(candidate.Id, candidate.Distance);
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
