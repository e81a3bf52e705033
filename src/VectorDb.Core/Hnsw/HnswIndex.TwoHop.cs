using System.Runtime.CompilerServices;
using VectorDb.Distance;

namespace VectorDb.Hnsw;

public sealed unsafe partial class HnswIndex
{
    /// <summary>How many nodes <see cref="NeighborhoodShare{TFilter}(ReadOnlySpan{float}, TFilter, SearchStatistics?, out Neighbor?)"/> looks at, at most.</summary>
    public const int NeighborhoodSample = 128;

    /// <summary>
    /// The share of filter matches around a query: among the node where a search for it enters layer 0 (after the
    /// greedy descent of the upper layers), its layer-0 neighbors and theirs, up to <see cref="NeighborhoodSample"/>
    /// nodes. A global count cannot tell a filter whose matches surround the query from one whose matches lie away
    /// from it (e.g. "any class but the query's"); this can, for the price of the descent and a few link blocks.
    /// </summary>
    /// <param name="query">Query vector (raw; normalised here for cosine).</param>
    /// <param name="filter">Which nodes match.</param>
    /// <param name="statistics">When not null, receives the work done.</param>
    /// <param name="entry">Where the descent entered layer 0: a search of the same query can start there instead of descending again.</param>
    /// <returns>Matches among the nodes looked at ÷ their number; 0 for an empty index.</returns>
    public double NeighborhoodShare<TFilter>(ReadOnlySpan<float> query, TFilter filter, SearchStatistics? statistics, out Neighbor? entry)
        where TFilter : struct, INodeFilter =>
        ProbeNeighborhood(query, filter, _dimensions, statistics, out entry);

    /// <summary>
    /// As <see cref="NeighborhoodShare{TFilter}(ReadOnlySpan{float}, TFilter, SearchStatistics?, out Neighbor?)"/>, the descent
    /// comparing the first <paramref name="searchDimensions"/> only (the prefix copy where one is kept): a cheaper probe.
    /// The entry's distance is then over that prefix: a walk on another prefix takes the node, not the distance.
    /// </summary>
    public double NeighborhoodShare<TFilter>(ReadOnlySpan<float> query, TFilter filter, int searchDimensions, out Neighbor? entry)
        where TFilter : struct, INodeFilter
    {
        CheckAdaptive(searchDimensions, null);
        return ProbeNeighborhood(query, filter, searchDimensions, null, out entry);
    }

    private double ProbeNeighborhood<TFilter>(ReadOnlySpan<float> query, TFilter filter, int searchDimensions, SearchStatistics? statistics, out Neighbor? entry)
        where TFilter : struct, INodeFilter
    {
        EnterShared();
        var context = RentContext();
        try
        {
            ref float prepared = ref PrepareQuery(query, context);
            ref float walked = ref searchDimensions == _dimensions ? ref prepared : ref WalkPrefix(context, ref prepared, searchDimensions);
            var live = new LiveFilter<TFilter>(_states, filter);
            context.ResetCounters();
            var (share, node, distance) = Dispatch<NeighborhoodShareOperation<LiveFilter<TFilter>>, (double, int, float)>(
                new(this, (float*)Unsafe.AsPointer(ref walked), context, live));
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

    private (double Share, int Entry, float EntryDistance) NeighborhoodShareCore<TDistance, TFilter>(ref float query, SearchContext context, TFilter filter)
        where TDistance : struct, IDistanceFunction
        where TFilter : struct, INodeFilter
    {
        if (!TryDescend<TDistance>(ref query, context, out int current, out float currentDistance))
        {
            return (0, -1, float.MaxValue);
        }

        // The entry's own block holds ~M₀ nodes: a share of 75 % then reads anywhere from 58 % to 94 % (measured over
        // 40 builds), too coarse for a threshold; the neighbors' blocks add distinct nodes up to the sample size.
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

        for (int i = 1; i <= count && looked < NeighborhoodSample; i++)
        {
            var next = BaseLinks(block[i]);
            int nextCount = Math.Min(Volatile.Read(ref next[0]), next.Length - 1);
            for (int j = 1; j <= nextCount && looked < NeighborhoodSample; j++)
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
    /// Layer-0 search over the subgraph the filter accepts, after ACORN-1 (Patel et al., SIGMOD 2024): only
    /// accepted nodes get a distance and enter the beam. Each expansion takes the node's accepted neighbors,
    /// then looks through its rejected neighbors to their accepted neighbors, up to M₀·(2 − share of matches)
    /// accepted nodes looked at in all, seen ones included (after the paper's truncation: it bounds the work per
    /// expansion while keeping the accepted subgraph connected down to a selectivity of a few percent; below that
    /// the planner scans the matches instead).
    /// Until the beam holds k matches, rejected neighbors are also walked like in a plain search, so a query
    /// whose neighborhood holds no match still finds its way to the matches. A rejected node already looked through
    /// in full is not read again (<see cref="LookedThroughSet"/>). With a look-through layer (<see cref="SearchContext.LookThroughLayer"/>)
    /// a rejected node is looked through along it (to nodes likely accepted) rather than along its graph links.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)] // own inlining budget: inlined into Search<TFilter>, it ran out and stopped inlining the filter and visited checks
    private void SearchLayerTwoHop<TDistance, TFilter, TObserver>(
        ref float query, int entry, float entryDistance, int k, int ef, SearchContext context, TFilter filter, ReadOnlySpan<int> seeds, TObserver observer)
        where TDistance : struct, IDistanceFunction
        where TFilter : struct, INodeFilter
        where TObserver : struct, IWalkObserver
    {
        var visited = context.Visited;
        var candidates = context.Candidates;
        var results = context.Results;
        float bound = StartBeam<TDistance, TFilter, TObserver>(ref query, entry, entryDistance, ef, context, filter, seeds, observer);
        observer.Observe(filter, entry, entryDistance);
        bool requestAll = context.ReadBytes <= PrefetchBytes;

        // Each expansion first gathers what it will read, requesting it from memory, then computes: the rows of
        // the nodes to score (matches; rejected ones too while seeking, stored as ~id) and the link blocks of the
        // rejected neighbors, then the rows of the matches two hops away. Done one by one, each was a miss in turn.
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

            ScoreGathered<TDistance, TObserver>(ref query, scored.AsSpan(0, toScore), ef, context, requestAll, ref bound, observer);

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

            ScoreGathered<TDistance, TObserver>(ref query, hopped.AsSpan(0, toHop), ef, context, requestAll, ref bound, observer);
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
    /// beam and the result (and shown to the observer), a rejected node walked while seeking (stored as ~id) to the beam only.
    /// </summary>
    private static void ScoreGathered<TDistance, TObserver>(
        ref float query, ReadOnlySpan<int> gathered, int ef, SearchContext context, bool requestAll, ref float bound, TObserver observer)
        where TDistance : struct, IDistanceFunction
        where TObserver : struct, IWalkObserver
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
                observer.ObserveAccepted(node, distance);
                OfferAccepted(node, distance, ef, context, ref bound);
            }
            else if (results.Count < ef || distance < bound)
            {
                context.Candidates.Push(node, distance);
            }
        }
    }

    /// <summary>Computes an accepted node's distance (once), shows it to the observer and offers it to the beam and the result.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ConsiderAccepted<TDistance, TObserver>(ref float query, int node, int ef, SearchContext context, ref float bound, TObserver observer)
        where TDistance : struct, IDistanceFunction
        where TObserver : struct, IWalkObserver
    {
        if (!context.Visited.TryVisit(node))
        {
            return;
        }

        context.DistanceCount++;
        float distance = TDistance.Compute(ref query, ref SearchRow(context, node), context.Dimensions);
        observer.ObserveAccepted(node, distance);
        OfferAccepted(node, distance, ef, context, ref bound);
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
}
