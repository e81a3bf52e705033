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
        CheckK(k, results);
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
                    throw new ArgumentOutOfRangeException(nameof(searchDimensions), searchDimensions, $"A rotated walk reads at most {RotatedRows} dimensions (the rotated prefix this index keeps); {_dimensions} walks the whole vector.");
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
            VerifyServed(results[..found]);
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
}
