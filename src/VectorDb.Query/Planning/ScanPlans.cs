using System.Runtime.InteropServices;
using VectorDb.Hnsw;

namespace VectorDb.Query.Planning;

/// <summary>The filter matches nothing: no search runs.</summary>
internal sealed class NoMatchesPlan() : SearchPlan(SearchStrategy.NoMatches, () => "no point can match the filter")
{
    public override bool MayMissMatches => false;

    public override int Run(scoped in PlanInput input, Span<Neighbor> results, SearchStatistics? statistics) => 0;

    public override SearchPlan OnPrefix(PrefixSearch prefix, HnswIndex graph, int k) => this; // nothing to compare
}

/// <summary>
/// An exact scan: of every vector (no filter, or a filter the indexes cannot list), or of the matches the payload
/// indexes list. Exact, so never completed.
/// </summary>
internal sealed class ExactScanPlan(SearchStrategy strategy, Func<string> reason, double? costMicroseconds = null) : SearchPlan(strategy, reason, costMicroseconds)
{
    /// <summary>The plan of an unfiltered search asked to be exact.</summary>
    public static ExactScanPlan Asked { get; } = new(SearchStrategy.Exact, () => "exact search was asked for");

    public override bool MayMissMatches => false;

    /// <summary>
    /// True when the answer must be exact, not only cheapest as a scan (forced by the query, or within the collection's
    /// full-scan threshold): on a prefix it then stays a scan of whole vectors unless the prefix scan is exact too.
    /// </summary>
    public bool Required { get; init; }

    public override SearchPlan OnPrefix(PrefixSearch prefix, HnswIndex graph, int k) =>
        Required && !graph.PrefixDistancesBoundWhole
            ? new WholeVectorPlan(this, "an exact scan was required, which a scan on a prefix is not under this metric")
            : PrefixScanPlan.Of(this, graph, prefix, k);

    public override int Run(scoped in PlanInput input, Span<Neighbor> results, SearchStatistics? statistics)
    {
        var graph = input.Graph;
        if (input.Filter is not { } predicate)
        {
            return graph.ExactSearch(input.Query, input.K, results, default(AcceptAll), statistics, input.Cancellation);
        }

        var listed = new List<int>();
        if (!predicate.TryListMatches(graph.AllocatedCount, listed))
        {
            Matches = null;
            return graph.ExactSearch(input.Query, input.K, results, new PredicateFilter(predicate), statistics, input.Cancellation);
        }

        Matches = listed.Count;
        return graph.ExactSearch(input.Query, input.K, results, CollectionsMarshal.AsSpan(listed), statistics, input.Cancellation);
    }
}
