using VectorDb.Distance;

namespace VectorDb.Hnsw;

public sealed unsafe partial class HnswIndex
{
    private TResult Dispatch<TOperation, TResult>(TOperation operation)
        where TOperation : IDistanceOperation<TResult>, allows ref struct =>
        _dataType switch
        {
            VectorDataType.Float16 => DispatchMetric<TOperation, TResult, Float16Rows>(operation),
            VectorDataType.BFloat16 => DispatchMetric<TOperation, TResult, BFloat16Rows>(operation),
            _ => DispatchMetric<TOperation, TResult, Float32Rows>(operation),
        };

    private TResult DispatchMetric<TOperation, TResult, TRow>(TOperation operation)
        where TOperation : IDistanceOperation<TResult>, allows ref struct
        where TRow : struct, IRowFormat =>
        Metric switch
        {
            DistanceMetric.Cosine or DistanceMetric.Dot => operation.Run<NegativeDotDistance<TRow>>(),
            DistanceMetric.Euclid => operation.Run<NonNegativeSumDistance<TRow, SquaredDifferenceOperator>>(),
            _ => operation.Run<NonNegativeSumDistance<TRow, AbsoluteDifferenceOperator>>(),
        };

    private readonly ref struct SearchOperation<TFilter>(
        HnswIndex index, float* query, int k, int ef, Span<Neighbor> results, SearchContext context, TFilter filter, bool twoHop, ReadOnlySpan<int> seeds,
        Neighbor? entry) : IDistanceOperation<int>
        where TFilter : struct, INodeFilter
    {
        private readonly Span<Neighbor> _results = results;
        private readonly ReadOnlySpan<int> _seeds = seeds;

        public int Run<TDistance>()
            where TDistance : struct, IDistanceFunction =>
            index.SearchCore<TDistance, TFilter>(ref *query, k, ef, _results, context, filter, twoHop, _seeds, entry);
    }

    private readonly struct NeighborhoodShareOperation<TFilter>(HnswIndex index, float* query, SearchContext context, TFilter filter) : IDistanceOperation<(double, int, float)>
        where TFilter : struct, INodeFilter
    {
        public (double, int, float) Run<TDistance>()
            where TDistance : struct, IDistanceFunction =>
            index.NeighborhoodShareCore<TDistance, TFilter>(ref *query, context, filter);
    }

    private readonly ref struct AdaptiveOperation<TFilter>(
        HnswIndex index, float* walked, float* query, int k, int ef, int shortlist, int rescoreDimensions, Span<Neighbor> results, SearchContext context,
        TFilter filter, bool twoHop, ReadOnlySpan<int> seeds, int entryNode) : IDistanceOperation<int>
        where TFilter : struct, INodeFilter
    {
        private readonly Span<Neighbor> _results = results;
        private readonly ReadOnlySpan<int> _seeds = seeds;

        public int Run<TDistance>()
            where TDistance : struct, IDistanceFunction =>
            index.AdaptiveCore<TDistance, TFilter>(ref *walked, ref *query, k, ef, shortlist, rescoreDimensions, _results, context, filter, twoHop, _seeds, entryNode);
    }

    private readonly ref struct AdaptiveLinkLayerOperation<TFilter>(
        HnswIndex index, float* walked, float* query, int level, int k, int ef, int shortlist, Span<Neighbor> results, SearchContext context, TFilter filter,
        ReadOnlySpan<int> seeds) : IDistanceOperation<int>
        where TFilter : struct, INodeFilter
    {
        private readonly Span<Neighbor> _results = results;
        private readonly ReadOnlySpan<int> _seeds = seeds;

        public int Run<TDistance>()
            where TDistance : struct, IDistanceFunction =>
            index.AdaptiveLinkLayerCore<TDistance, TFilter>(ref *walked, ref *query, level, k, ef, shortlist, _results, context, filter, _seeds);
    }

    private readonly ref struct AdaptiveScanOperation<TFilter>(
        HnswIndex index, float* walked, float* query, int k, int shortlist, Span<Neighbor> results, SearchContext context, TFilter filter, ReadOnlySpan<int> nodes,
        bool listed, CancellationToken cancellation) : IDistanceOperation<int>
        where TFilter : struct, INodeFilter
    {
        private readonly Span<Neighbor> _results = results;
        private readonly ReadOnlySpan<int> _nodes = nodes;

        public int Run<TDistance>()
            where TDistance : struct, IDistanceFunction =>
            index.AdaptiveScanCore<TDistance, TFilter>(ref *walked, ref *query, k, shortlist, _results, context, filter, _nodes, listed, cancellation);
    }

    private readonly ref struct DistancesOperation(HnswIndex index, float* query, ReadOnlySpan<int> nodes, Span<float> distances, CancellationToken cancellation) : IDistanceOperation<int>
    {
        private readonly ReadOnlySpan<int> _nodes = nodes;
        private readonly Span<float> _distances = distances;

        public int Run<TDistance>()
            where TDistance : struct, IDistanceFunction =>
            index.DistancesCore<TDistance>(ref *query, _nodes, _distances, cancellation);
    }

    private readonly ref struct ScanListOperation(HnswIndex index, float* query, ReadOnlySpan<int> nodes, int k, NeighborHeap<FarthestFirst> heap, CancellationToken cancellation) : IDistanceOperation<int>
    {
        private readonly ReadOnlySpan<int> _nodes = nodes;

        public int Run<TDistance>()
            where TDistance : struct, IDistanceFunction =>
            index.ScanList<TDistance>(ref *query, _nodes, k, heap, cancellation);
    }

    private readonly ref struct ExactOperation<TFilter>(
        HnswIndex index, float* query, int k, Span<Neighbor> results, SearchContext context, TFilter filter, CancellationToken cancellation) : IDistanceOperation<int>
        where TFilter : struct, INodeFilter
    {
        private readonly Span<Neighbor> _results = results;

        public int Run<TDistance>()
            where TDistance : struct, IDistanceFunction =>
            index.ExactCore<TDistance, TFilter>(ref *query, k, _results, context, filter, cancellation);
    }

    private readonly struct LinkOperation(HnswIndex index, int id, SearchContext context) : IDistanceOperation<bool>
    {
        public bool Run<TDistance>()
            where TDistance : struct, IDistanceFunction
        {
            index.LinkCore<TDistance>(id, context);
            return true;
        }
    }

    private readonly struct RepairOperation(HnswIndex index, int id, SearchContext context) : IDistanceOperation<bool>
    {
        public bool Run<TDistance>()
            where TDistance : struct, IDistanceFunction
        {
            index.RepairAround<TDistance>(id, context);
            return true;
        }
    }
}
