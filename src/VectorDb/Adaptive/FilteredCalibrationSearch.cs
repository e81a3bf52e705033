using VectorDb.Hnsw;
using VectorDb.Query;
using VectorDb.Query.Planning;

namespace VectorDb.Adaptive;

/// <summary>
/// What a calibration under a filter measures: the filtered plans the planner chooses for each sample query (or the
/// strategy the query forces), walking a prefix where asked, scored against an exact scan of the filter's matches.
/// </summary>
internal sealed class FilteredCalibrationSearch(
    QueryPlanner planner, HnswIndex graph, NodePredicate predicate, IPointSource points, SearchStrategy? forced, CancellationToken cancellation)
    : ICalibrationSearch
{
    /// <summary>The filter the sample queries run under.</summary>
    public NodePredicate Predicate => predicate;

    public int Search(float[] query, int k, int dimensions, int shortlist, int ef, Span<Neighbor> results)
    {
        var input = new PlanInput(graph, query, k, ef, predicate, cancellation);
        var prefix = dimensions == graph.Dimensions ? (PrefixSearch?)null : new PrefixSearch(dimensions, shortlist / (double)k);
        return PlanRunner.RunFiltered(planner, input, points, forced, results, explained: false, out _, prefix);
    }

    public int Exact(float[] query, int k, Span<Neighbor> results) =>
        new ExactScanPlan(SearchStrategy.ExactScan, () => "calibration truth").Run(new PlanInput(graph, query, k, k, predicate, cancellation), results, null);
}
