using System.Runtime.CompilerServices;
using VectorDb.Distance;

namespace VectorDb.Hnsw;

public sealed unsafe partial class HnswIndex
{
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

    /// <summary>
    /// The distance from <paramref name="query"/> to each of <paramref name="nodes"/> (in their order; NaN for a node
    /// that is not live): exact scores for a list of candidates, without ranking them.
    /// </summary>
    /// <returns>How many distances were computed (the live nodes).</returns>
    /// <exception cref="OperationCanceledException"><paramref name="cancellation"/> fired during the scan.</exception>
    public int Distances(ReadOnlySpan<float> query, ReadOnlySpan<int> nodes, Span<float> distances, CancellationToken cancellation = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(distances.Length, nodes.Length);
        EnterShared();
        var context = RentContext();
        try
        {
            ref float prepared = ref PrepareQuery(query, context);
            return Dispatch<DistancesOperation, int>(new(this, (float*)Unsafe.AsPointer(ref prepared), nodes, distances, cancellation));
        }
        finally
        {
            ReturnContext(context);
            _resizeLock.ExitReadLock();
        }
    }

    private int DistancesCore<TDistance>(ref float query, ReadOnlySpan<int> nodes, Span<float> distances, CancellationToken cancellation)
        where TDistance : struct, IDistanceFunction
    {
        int computed = 0;
        int allocated = Math.Min(_count, _capacity);
        for (int i = 0; i < nodes.Length; i++)
        {
            if ((i & (CancellationCheckInterval - 1)) == 0)
            {
                cancellation.ThrowIfCancellationRequested();
            }

            int node = nodes[i];
            if ((uint)node >= (uint)allocated || _states[node] != StateLive)
            {
                distances[i] = float.NaN;
                continue;
            }

            computed++;
            distances[i] = TDistance.Compute(ref query, ref ServedRow(node), (nuint)_dimensions);
        }

        return computed;
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
    /// <param name="k">Number of neighbors wanted.</param>
    /// <param name="results">Receives up to k neighbors, nearest first; must hold k.</param>
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
            Offer(heap, new Neighbor(node, TDistance.Compute(ref query, ref ServedRow(node), (nuint)_dimensions)), k);
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
                Offer(heap, new Neighbor(id, TDistance.Compute(ref query, ref ServedRow(id), (nuint)_dimensions)), k);
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
}
