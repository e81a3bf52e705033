using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;
using VectorDb.Distance;

namespace VectorDb.Hnsw;

public sealed unsafe partial class HnswIndex
{
    /// <summary>
    /// Adaptive-dimension search (AdANNS): the graph is walked comparing only the first
    /// <paramref name="searchDimensions"/> floats of each vector — cheap, and good enough to find the
    /// neighborhood when the leading dimensions carry most of the signal (Matryoshka embeddings, or vectors
    /// rotated by PCA) — keeping the best <paramref name="shortlist"/> candidates, which are then rescored with
    /// the whole vector; the best k are returned with their full distances.
    /// </summary>
    /// <param name="query">Query vector (raw; normalised here for cosine).</param>
    /// <param name="k">Number of neighbors wanted.</param>
    /// <param name="ef">Beam width on layer 0; raised to k if smaller.</param>
    /// <param name="searchDimensions">Leading dimensions the traversal compares (1..dimensions).</param>
    /// <param name="shortlist">
    /// Candidates rescored with the whole vector: the best of all the nodes the walk computed a prefix distance
    /// for, so it may be longer than the beam (a narrow beam sees many more nodes than it keeps). Raised to k if smaller.
    /// </param>
    /// <param name="results">Receives up to k neighbors, nearest first by full distance; must hold k.</param>
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
    /// <exception cref="ArgumentException">
    /// <paramref name="searchDimensions"/> or <paramref name="rescoreDimensions"/> is out of range (the caller checks what a user asked for first).
    /// </exception>
    public int SearchAdaptive(
        ReadOnlySpan<float> query, int k, int ef, int searchDimensions, int shortlist, Span<Neighbor> results, SearchStatistics? statistics = null, int? rescoreDimensions = null)
    {
        int found = SearchAdaptive(query, k, ef, searchDimensions, shortlist, results, default(AcceptAll), new WalkOptions(), statistics, rescoreDimensions);
        return (rescoreDimensions ?? _dimensions) == _dimensions ? ExactIfStranded(query, k, found, results, statistics) : found;
    }

    /// <summary>
    /// Adaptive-dimension search among the live nodes <paramref name="filter"/> accepts: the walk <paramref name="walk"/>
    /// describes (plain or two-hop, footholds, entry, extra link layers) on a prefix, its best <paramref name="shortlist"/>
    /// matches rescored with the whole vector, taken from every match the walk computed a prefix distance for (a two-hop
    /// walk computes them for matches only).
    /// </summary>
    /// <param name="query">Query vector (raw; normalised here for cosine).</param>
    /// <param name="k">Number of neighbors wanted.</param>
    /// <param name="ef">Beam width on layer 0; raised to k if smaller.</param>
    /// <param name="searchDimensions">Leading dimensions the traversal compares (1..dimensions).</param>
    /// <param name="shortlist">Matches rescored with the whole vector; raised to k if smaller.</param>
    /// <param name="results">Receives up to k neighbors, nearest first by full distance; must hold k.</param>
    /// <param name="filter">Which nodes may be returned.</param>
    /// <param name="walk">How the walk treats rejected nodes; codes (<see cref="WalkOptions.Quantization"/>) are not walked.</param>
    /// <param name="statistics">When not null, receives the work done (prefix and full distances both count one).</param>
    /// <param name="rescoreDimensions">As for the unfiltered search; null for all.</param>
    /// <returns>The number of neighbors written; fewer than k when the walk missed matches (the caller completes those).</returns>
    /// <exception cref="ArgumentException">
    /// <paramref name="searchDimensions"/> or <paramref name="rescoreDimensions"/> is out of range (the caller checks what a user asked for first).
    /// </exception>
    public int SearchAdaptive<TFilter>(
        ReadOnlySpan<float> query, int k, int ef, int searchDimensions, int shortlist, Span<Neighbor> results, TFilter filter, scoped in WalkOptions walk,
        SearchStatistics? statistics = null, int? rescoreDimensions = null)
        where TFilter : struct, INodeFilter
    {
        CheckK(k, results);
        int rescored = CheckAdaptive(searchDimensions, rescoreDimensions);
        shortlist = Math.Max(shortlist, k);
        int found;
        EnterShared();
        var context = RentContext();
        try
        {
            ref float prepared = ref PrepareQuery(query, context);
            SetUpTwoHop(context, walk.AcceptedShare, LinkLayerLevel(walk.FollowLayer), LinkLayerLevel(walk.LookThroughLayer));
            ref float walked = ref WalkPrefix(context, ref prepared, searchDimensions);
            found = Dispatch<AdaptiveOperation<LiveFilter<TFilter>>, int>(new(
                this, (float*)Unsafe.AsPointer(ref walked), (float*)Unsafe.AsPointer(ref prepared), k, ef, shortlist, rescored, results, context,
                new LiveFilter<TFilter>(_states, filter), walk.TwoHop, walk.Seeds, walk.Entry?.Id ?? -1));
            statistics?.Add(context.DistanceCount, context.VisitedCount);
            VerifyServed(results[..found]);
        }
        finally
        {
            ReturnContext(context);
            _resizeLock.ExitReadLock();
        }

        return found;
    }

    /// <summary>
    /// True when an adaptive scan (<see cref="ScanAdaptive{TFilter}"/>) is exact: a prefix distance is a lower bound of
    /// the whole one, which holds for L2 and L1 over the stored dimensions. Over rotated coordinates it holds for L2 only
    /// up to the rounding of the projections (and of their storage in a half-width row format), so a rotated prefix
    /// scan is not called exact.
    /// </summary>
    public bool PrefixDistancesBoundWhole => Metric is DistanceMetric.Euclid or DistanceMetric.Manhattan && _prefixAxes is null;

    /// <summary>
    /// Whether rescoring may skip candidates by their prefix distance: where it bounds the whole one (see
    /// <see cref="PrefixDistancesBoundWhole"/>), and over a float32 rotated prefix under L2, whose rounding the
    /// rescoring's slack covers.
    /// </summary>
    private bool PrefixBoundsRescoring<TDistance>()
        where TDistance : struct, IDistanceFunction =>
        TDistance.SumsNonNegativeTerms && (_prefixAxes is null || (Metric == DistanceMetric.Euclid && _dataType == VectorDataType.Float32));

    /// <summary>
    /// k nearest of the listed nodes (unknown and deleted ids skipped) by comparing prefixes first: every listed node's
    /// prefix distance, then the nearest by prefix rescored with the whole vector — all that can still enter the top k
    /// when <see cref="PrefixDistancesBoundWhole"/> (the answer is then exact), else the best <paramref name="shortlist"/>.
    /// </summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellation"/> fired during the scan.</exception>
    public int ScanAdaptive(
        ReadOnlySpan<float> query, int k, int searchDimensions, int shortlist, Span<Neighbor> results, ReadOnlySpan<int> nodes,
        SearchStatistics? statistics = null, CancellationToken cancellation = default) =>
        RunAdaptiveScan(query, k, searchDimensions, shortlist, results, default(AcceptAll), nodes, listed: true, statistics, cancellation);

    /// <summary>
    /// As <see cref="ScanAdaptive(ReadOnlySpan{float}, int, int, int, Span{Neighbor}, ReadOnlySpan{int}, SearchStatistics?, CancellationToken)"/>,
    /// over every live node <paramref name="filter"/> accepts.
    /// </summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellation"/> fired during the scan.</exception>
    public int ScanAdaptive<TFilter>(
        ReadOnlySpan<float> query, int k, int searchDimensions, int shortlist, Span<Neighbor> results, TFilter filter,
        SearchStatistics? statistics = null, CancellationToken cancellation = default)
        where TFilter : struct, INodeFilter =>
        RunAdaptiveScan(query, k, searchDimensions, shortlist, results, filter, [], listed: false, statistics, cancellation);

    private int RunAdaptiveScan<TFilter>(
        ReadOnlySpan<float> query, int k, int searchDimensions, int shortlist, Span<Neighbor> results, TFilter filter, ReadOnlySpan<int> nodes, bool listed,
        SearchStatistics? statistics, CancellationToken cancellation)
        where TFilter : struct, INodeFilter
    {
        CheckK(k, results);
        CheckAdaptive(searchDimensions, null);
        EnterShared();
        var context = RentContext();
        try
        {
            ref float prepared = ref PrepareQuery(query, context);
            context.ResetCounters();
            ref float walked = ref WalkPrefix(context, ref prepared, searchDimensions);
            int found = Dispatch<AdaptiveScanOperation<LiveFilter<TFilter>>, int>(new(
                this, (float*)Unsafe.AsPointer(ref walked), (float*)Unsafe.AsPointer(ref prepared), k, Math.Max(shortlist, k), results, context,
                new LiveFilter<TFilter>(_states, filter), nodes, listed, cancellation));
            statistics?.Add(context.DistanceCount, listed ? nodes.Length : Math.Min(_count, _capacity));
            VerifyServed(results[..found]);
            return found;
        }
        finally
        {
            ReturnContext(context);
            _resizeLock.ExitReadLock();
        }
    }

    /// <summary>Checks a walked and a rescored prefix against the index; returns the rescored length.</summary>
    private int CheckAdaptive(int searchDimensions, int? rescoreDimensions)
    {
        if (searchDimensions < 1 || searchDimensions > _dimensions)
        {
            throw new ArgumentOutOfRangeException(nameof(searchDimensions), searchDimensions, $"The walked prefix must have between 1 and {_dimensions} dimensions.");
        }

        int rescored = rescoreDimensions ?? _dimensions;
        if (rescored < searchDimensions || rescored > _dimensions)
        {
            throw new ArgumentOutOfRangeException(nameof(rescoreDimensions), rescored, $"The rescored prefix must have between {searchDimensions} (the walked prefix) and {_dimensions} dimensions.");
        }

        if (rescored < _dimensions && _prefixAxes is not null)
        {
            throw new ArgumentException("A shortened rescore cannot follow a rotated walk: the stored vectors are not rotated, so their prefixes carry no more than any other dimensions.", nameof(rescoreDimensions));
        }

        if (_prefixAxes is not null && searchDimensions < _dimensions && searchDimensions > RotatedRows)
        {
            throw new ArgumentOutOfRangeException(nameof(searchDimensions), searchDimensions, $"A rotated walk reads at most {RotatedRows} dimensions (the rotated prefix this index keeps); {_dimensions} walks the whole vector.");
        }

        return rescored;
    }

    /// <summary>
    /// Points the context at the rows a prefix walk reads (the compact prefix copy when there is one) and returns the
    /// query as they read it: the prepared query, or its coordinates along the rotated prefix's axes.
    /// </summary>
    private ref float WalkPrefix(SearchContext context, ref float prepared, int searchDimensions)
    {
        context.Dimensions = (nuint)searchDimensions;
        context.ReadBytes = (nint)searchDimensions * _elementBytes;
        bool rotated = _prefixAxes is not null && searchDimensions < _dimensions; // the whole vector is walked unrotated

        // A rotated arena holds projected coordinates: only a rotated walk may read it, however wide its rows are.
        if (_prefixes != null && (rotated || (_prefixAxes is null && searchDimensions <= _prefixStride)))
        {
            context.Vectors = _prefixes;
            context.RowBytes = (nint)_prefixStride * _elementBytes;
        }

        return ref rotated ? ref RotateQuery(context, _prefixAxes!, searchDimensions) : ref prepared;
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
    private int AdaptiveCore<TDistance, TFilter>(
        ref float walked, ref float query, int k, int ef, int shortlist, int rescoreDimensions, Span<Neighbor> results, SearchContext context,
        TFilter filter, bool twoHop, ReadOnlySpan<int> seeds, int entryNode)
        where TDistance : struct, IDistanceFunction
        where TFilter : struct, INodeFilter
    {
        // A given entry comes with the distance its probe measured (whole, or on another prefix): the walk needs its own.
        Neighbor? entry = (uint)entryNode < (uint)Math.Min(_count, _capacity)
            ? new Neighbor(entryNode, TDistance.Compute(ref walked, ref SearchRow(context, entryNode), context.Dimensions))
            : null;
        var seen = context.Seen;
        seen.Clear();
        SearchCore<TDistance, TFilter, SeenWalk>(ref walked, k, Math.Max(ef, k), context.EnsureRescored(k), context, filter, twoHop, seeds, new SeenWalk(seen), entry);
        return Rescore<TDistance>(ref query, seen.SelectNearest(shortlist), k, rescoreDimensions, results, context);
    }

    /// <summary>
    /// The walk of a link layer (<see cref="SearchLinkLayer{TFilter}"/>) on a prefix, the best <paramref name="shortlist"/>
    /// matches it computed a prefix distance for rescored with the whole vector.
    /// </summary>
    /// <returns>The number of neighbors written; 0 when the layer is gone or the walk found no foothold.</returns>
    public int SearchLinkLayerAdaptive<TFilter>(
        int handle, ReadOnlySpan<float> query, int k, int ef, int searchDimensions, int shortlist, Span<Neighbor> results, TFilter filter, ReadOnlySpan<int> seeds,
        SearchStatistics? statistics = null)
        where TFilter : struct, INodeFilter
    {
        CheckK(k, results);
        CheckAdaptive(searchDimensions, null);
        EnterShared();
        var context = RentContext();
        try
        {
            if ((uint)handle >= (uint)_linkLayers.Length || _linkLayers[handle] == 0)
            {
                return 0;
            }

            ref float prepared = ref PrepareQuery(query, context);
            context.ResetCounters();
            ref float walked = ref WalkPrefix(context, ref prepared, searchDimensions);
            int found = Dispatch<AdaptiveLinkLayerOperation<LiveFilter<TFilter>>, int>(new(
                this, (float*)Unsafe.AsPointer(ref walked), (float*)Unsafe.AsPointer(ref prepared), ~handle, k, Math.Max(ef, k), Math.Max(shortlist, k), results, context,
                new LiveFilter<TFilter>(_states, filter), seeds));
            statistics?.Add(context.DistanceCount, context.VisitedCount);
            VerifyServed(results[..found]);
            return found;
        }
        finally
        {
            ReturnContext(context);
            _resizeLock.ExitReadLock();
        }
    }

    private int AdaptiveLinkLayerCore<TDistance, TFilter>(
        ref float walked, ref float query, int level, int k, int ef, int shortlist, Span<Neighbor> results, SearchContext context, TFilter filter, ReadOnlySpan<int> seeds)
        where TDistance : struct, IDistanceFunction
        where TFilter : struct, INodeFilter
    {
        var seen = context.Seen;
        seen.Clear();
        if (SearchLinkLayerCore<TDistance, TFilter, SeenWalk>(ref walked, level, k, ef, context.EnsureRescored(k), context, filter, seeds, new SeenWalk(seen)) == 0)
        {
            return 0;
        }

        return Rescore<TDistance>(ref query, seen.SelectNearest(shortlist), k, _dimensions, results, context);
    }

    // A scan lists every match in the pooled context's list; beyond this many entries it gives the memory back.
    private const int ScanKeptEntries = 1 << 16;

    /// <summary>
    /// The prefix scan: a prefix distance for every accepted node (all allocated ids, or the listed ones), then the
    /// nearest by prefix rescored — and, when prefix distances bound whole ones, every other node whose prefix distance
    /// is still below the k-th whole distance, which makes the answer exact.
    /// </summary>
    private int AdaptiveScanCore<TDistance, TFilter>(
        ref float walked, ref float query, int k, int shortlist, Span<Neighbor> results, SearchContext context, TFilter filter, ReadOnlySpan<int> nodes, bool listed,
        CancellationToken cancellation)
        where TDistance : struct, IDistanceFunction
        where TFilter : struct, INodeFilter
    {
        var seen = context.Seen;
        seen.Clear();
        int allocated = Math.Min(_count, _capacity);
        int length = listed ? nodes.Length : allocated;
        for (int i = 0; i < length; i++)
        {
            if ((i & (CancellationCheckInterval - 1)) == 0)
            {
                cancellation.ThrowIfCancellationRequested();
            }

            int node = listed ? nodes[i] : i;
            if ((uint)node < (uint)allocated && filter.Accept(node))
            {
                context.DistanceCount++;
                seen.Add(node, TDistance.Compute(ref walked, ref SearchRow(context, node), context.Dimensions));
            }
        }

        var best = context.Results;
        best.Clear();
        // Unlike a walk's, a scan's rescoring is its answer (exact where prefixes bound): every row it reads is checked.
        var nearest = seen.SelectNearest(shortlist);
        RescoreInto<TDistance>(ref query, nearest, sorted: true, k, _dimensions, context, verifyRows: true);
        if (PrefixBoundsRescoring<TDistance>())
        {
            RescoreInto<TDistance>(ref query, seen.After(nearest.Length), sorted: false, k, _dimensions, context, verifyRows: true);
        }

        int found = best.DrainSorted(results);
        seen.TrimTo(ScanKeptEntries);
        return found;
    }

    /// <summary>
    /// Rescores a shortlist, sorted by prefix distance, with whole rows (or their first <paramref name="rescoreDimensions"/>);
    /// the best k go to results. See <see cref="RescoreInto{TDistance}"/>.
    /// </summary>
    private int Rescore<TDistance>(ref float query, Span<Neighbor> shortlist, int k, int rescoreDimensions, Span<Neighbor> results, SearchContext context)
        where TDistance : struct, IDistanceFunction
    {
        context.Results.Clear();
        RescoreInto<TDistance>(ref query, shortlist, sorted: true, k, rescoreDimensions, context, verifyRows: false);
        return context.Results.DrainSorted(results);
    }

    /// <summary>
    /// Offers candidates, rescored with whole rows (or their first <paramref name="rescoreDimensions"/>), to the best k
    /// kept in <c>context.Results</c>. For sums of non-negative terms (L2², L1) a prefix distance is a lower bound of the
    /// whole (of the unrotated prefix's, and of a float32 rotated one's for L2, which rotations preserve), so a candidate whose
    /// prefix distance reaches the k-th best whole distance so far cannot enter — nor, when the candidates are
    /// <paramref name="sorted"/> by prefix distance, any after it; and a whole distance is summed block by block,
    /// dropping the candidate as soon as it passes that bound. Both are exact, and cut most of the reads when the
    /// leading dimensions carry most of the distance. Rows kept in a file are checked as they are read when
    /// <paramref name="verifyRows"/> (which reads each whole); otherwise only the rows served are (the caller's
    /// <c>VerifyServed</c>), as for a walk's intermediate distances.
    /// </summary>
    private void RescoreInto<TDistance>(ref float query, Span<Neighbor> candidates, bool sorted, int k, int rescoreDimensions, SearchContext context, bool verifyRows)
        where TDistance : struct, IDistanceFunction
    {
        const int Block = 128; // elements summed between two looks at the bound: 512 bytes of float32, eight cache lines
        bool prefixBounds = PrefixBoundsRescoring<TDistance>();
        const float Slack = 1.0001f; // a prefix sum (over projected coordinates, or summed in another order) carries rounding of its own
        var best = context.Results;
        nuint dimensions = (nuint)rescoreDimensions;
        for (int i = 0; i < candidates.Length; i++)
        {
            float bound = best.Count < k ? float.PositiveInfinity : best.Top.Distance;
            if (prefixBounds && candidates[i].Distance >= bound * Slack)
            {
                if (sorted)
                {
                    break;
                }

                continue;
            }

            int node = candidates[i].Id;
            if (sorted && i + 1 < candidates.Length && Sse.IsSupported)
            {
                Sse.Prefetch0(VectorPointer(candidates[i + 1].Id));
            }

            context.DistanceCount++;
            ref byte row = ref verifyRows ? ref ServedRow(node) : ref VectorRef(node);
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
    }
}
