using VectorDb.Adaptive;
using VectorDb.Hnsw;
using VectorDb.Points;
using VectorDb.Query;

namespace VectorDb.Spaces;

/// <summary>
/// A named dense vector: an HNSW graph over rows of one format, the cost model its filtered searches are planned
/// with (learned from its own searches) and its adaptive-dimension side (prefix walks, PCA rotation).
/// </summary>
internal sealed class DenseVectorSpace : IVectorSpace
{
    // One unfiltered search in this many reports its work to the planner's cost model.
    private const int CalibrationSampleMask = 63;

    private readonly CollectionOptions _options;
    private readonly QueryPlanner _planner;
    private int _searches;

    public DenseVectorSpace(string collection, CollectionOptions options, PointTable points, HnswIndex? graph = null)
    {
        _options = options;
        Graph = graph ?? new HnswIndex(options.Dimensions, options.Distance, options.ToHnswParameters());
        _planner = new QueryPlanner(options.Dimensions, 2 * options.M);
        Adaptive = new AdaptivePlanner(collection, options, Graph, points);
    }

    public string Name => "";

    /// <summary>The graph, which payload indexes link values' points on and checkpoints save.</summary>
    public HnswIndex Graph { get; }

    /// <summary>Prefix walks, their calibration and the PCA rotation.</summary>
    public AdaptivePlanner Adaptive { get; }

    public int Count => Graph.Count;

    public int NodeBound => Graph.AllocatedCount;

    public long MemoryBytes => Graph.MemoryBytes;

    public bool IsLive(int node) => Graph.IsLive(node);

    public int InsertUnpublished(ReadOnlySpan<float> vector)
    {
        int node = Graph.Reserve(vector);
        Graph.Link(node, publish: false);
        return node;
    }

    public void Publish(int node) => Graph.Publish(node);

    public bool Retire(int node) => Graph.Retire(node);

    public void Repair(int node) => Graph.Repair(node);

    public void CopyVector(int node, Span<float> destination) => Graph.CopyVector(node, destination);

    public void WriteSnapshot(Stream stream) => Graph.WriteSnapshot(stream);

    public int Search(
        ReadOnlySpan<float> query, int k, SearchOptions options, NodePredicate? filter, IPointSource points, Span<Neighbor> results, out SearchExplain? explain, CancellationToken cancellation)
    {
        int ef = options.Ef ?? _options.EfConstruction;
        explain = null;
        int found;
        if (filter is not null)
        {
            if (options.Adaptive is not null)
            {
                throw new InvalidRequestException("Adaptive-dimension search cannot be combined with a filter yet.");
            }

            var forced = options.Exact ? SearchStrategy.ExactScan : options.Strategy;
            found = FilteredSearch.Run(Graph, _planner, query, k, ef, filter, points, forced, results, out var planned, cancellation);
            explain = options.Explain ? planned : null;
        }
        else if (options.Adaptive is { } adaptive)
        {
            var plan = Adaptive.Plan(adaptive, k, ef, options.Exact);
            var statistics = options.Explain ? new SearchStatistics() : null;
            found = plan.Dimensions == _options.Dimensions
                ? Graph.Search(query, k, plan.Ef, results, default(AcceptAll), twoHop: false, statistics)
                : Graph.SearchAdaptive(query, k, plan.Ef, plan.Dimensions, plan.Shortlist, results, statistics, plan.RescoreDimensions);
            explain = statistics is null ? null : WalkExplain(SearchStrategy.Adaptive, plan.Reason, statistics, Math.Max(plan.Ef, k));
        }
        else if (options.Exact)
        {
            var statistics = options.Explain ? new SearchStatistics() : null;
            found = Graph.ExactSearch(query, k, results, default(AcceptAll), statistics, cancellation);
            explain = statistics is null ? null : UnfilteredExplain(SearchStrategy.Exact, "exact search was asked for", statistics.DistanceComputations, statistics.NodesVisited, ef);
        }
        else
        {
            var statistics = options.Explain || (Interlocked.Increment(ref _searches) & CalibrationSampleMask) == 0 ? new SearchStatistics() : null;
            found = Graph.Search(query, k, ef, results, default(AcceptAll), twoHop: false, statistics);
            if (statistics is not null)
            {
                if (!statistics.FellBackToExact)
                {
                    _planner.Observe(Math.Max(ef, k), statistics.DistanceComputations);
                }

                explain = options.Explain ? WalkExplain(SearchStrategy.Graph, "no filter", statistics, ef) : null;
            }
        }

        return found;
    }

    public void Dispose() => Graph.Dispose();

    private static SearchExplain UnfilteredExplain(SearchStrategy strategy, string reason, long distances, long visited, int ef) =>
        new(strategy, reason, null, null, new Dictionary<SearchStrategy, double>(), distances, visited, null, ef);

    /// <summary>Explains an unfiltered graph walk, or the exact scan that answered for it when the walk stranded.</summary>
    private static SearchExplain WalkExplain(SearchStrategy walk, string reason, SearchStatistics statistics, int ef) =>
        statistics.FellBackToExact
            ? new(SearchStrategy.Exact, $"{reason}; the walk found fewer than k points, so an exact scan answered", null, null,
                new Dictionary<SearchStrategy, double>(), statistics.DistanceComputations, statistics.NodesVisited, walk, ef)
            : UnfilteredExplain(walk, reason, statistics.DistanceComputations, statistics.NodesVisited, ef);
}
