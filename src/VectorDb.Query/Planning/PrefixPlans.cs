using System.Buffers;
using System.Globalization;
using System.Runtime.InteropServices;
using VectorDb.Hnsw;

namespace VectorDb.Query.Planning;

/// <summary>
/// How an adaptive-dimension search compares: the leading <paramref name="Dimensions"/> of each vector (the graph's
/// prefix copy, or its rotated one), and k × <paramref name="Oversampling"/> candidates (rounded up) rescored with the
/// whole vector.
/// </summary>
internal readonly record struct PrefixSearch(int Dimensions, double Oversampling)
{
    public int Shortlist(int k) => (int)Math.Min(int.MaxValue, Math.Ceiling((k * Oversampling) - 1e-9));

    public string Describe(int k, int wholeDimensions) => string.Create(CultureInfo.InvariantCulture,
        $"compared on {Dimensions} of {wholeDimensions} dimensions, {Shortlist(k)} candidates rescored with all");
}

/// <summary>
/// A filtered walk of the graph (plain or two-hop, with the planner's footholds, entry and link layers) on a prefix,
/// its shortlist of matches rescored with the whole vector.
/// </summary>
internal sealed class PrefixWalkPlan(FilteredWalkPlan walk, PrefixSearch prefix, int wholeDimensions, int k)
    : SearchPlan(walk.Strategy, () => $"{walk.Reason}; {prefix.Describe(k, wholeDimensions)}", walk.CostMicroseconds)
{
    public override int? SearchDimensions => prefix.Dimensions;

    public override int Run(scoped in PlanInput input, Span<Neighbor> results, SearchStatistics? statistics)
    {
        var predicate = input.Predicate;
        var options = walk.Walk(predicate) with { Quantization = default };
        int shortlist = prefix.Shortlist(input.K);
        return predicate.AsColumnFilter() is { } column
            ? input.Graph.SearchAdaptive(input.Query, input.K, input.Ef, prefix.Dimensions, shortlist, results, column, options, statistics)
            : input.Graph.SearchAdaptive(input.Query, input.K, input.Ef, prefix.Dimensions, shortlist, results, new PredicateFilter(predicate), options, statistics);
    }
}

/// <summary>
/// A scan of the matches on a prefix, the nearest by prefix rescored with the whole vector: exact where prefix distances
/// bound whole ones (L2, L1 over stored dimensions), which lets the rescoring stop early; else the best shortlist by
/// prefix (<see cref="SearchStrategy.PrefixScan"/>).
/// </summary>
internal sealed class PrefixScanPlan(Func<string> reason, double? cost, PrefixSearch prefix, bool exact)
    : SearchPlan(exact ? SearchStrategy.ExactScan : SearchStrategy.PrefixScan, reason, cost)
{
    public override bool MayMissMatches => false;

    public override int? SearchDimensions => prefix.Dimensions;

    /// <summary>The scan a plan of the matches becomes on a prefix, explained.</summary>
    public static PrefixScanPlan Of(SearchPlan scan, HnswIndex graph, PrefixSearch prefix, int k)
    {
        bool exact = graph.PrefixDistancesBoundWhole;
        int dimensions = graph.Dimensions;
        return new PrefixScanPlan(
            () => $"{scan.Reason}; each compared on {prefix.Dimensions} of {dimensions} dimensions" + (exact
                ? " first, then rescored with all while they can still be among the best (exact)"
                : $", the nearest by prefix (at least {prefix.Shortlist(k)}) rescored with all (approximate)"),
            scan.CostMicroseconds, prefix, exact);
    }

    public override int Run(scoped in PlanInput input, Span<Neighbor> results, SearchStatistics? statistics)
    {
        var graph = input.Graph;
        int shortlist = prefix.Shortlist(input.K);
        if (input.Filter is not { } predicate)
        {
            return graph.ScanAdaptive(input.Query, input.K, prefix.Dimensions, shortlist, results, default(AcceptAll), statistics, input.Cancellation);
        }

        var listed = new List<int>();
        if (!predicate.TryListMatches(graph.AllocatedCount, listed))
        {
            return graph.ScanAdaptive(input.Query, input.K, prefix.Dimensions, shortlist, results, new PredicateFilter(predicate), statistics, input.Cancellation);
        }

        Matches = listed.Count;
        return graph.ScanAdaptive(input.Query, input.K, prefix.Dimensions, shortlist, results, CollectionsMarshal.AsSpan(listed), statistics, input.Cancellation);
    }
}

/// <summary>An unfiltered adaptive walk for an oversampled k, then the filter on its hits: when nearly every point matches.</summary>
internal sealed class PrefixPostFilterPlan(PostFilterPlan plan, PrefixSearch prefix, int wholeDimensions, int k)
    : SearchPlan(SearchStrategy.PostFilter, () => $"{plan.Reason}; {prefix.Describe(plan.Oversampled(k, k).K, wholeDimensions)}", plan.CostMicroseconds)
{
    public override int? SearchDimensions => prefix.Dimensions;

    public override int Run(scoped in PlanInput input, Span<Neighbor> results, SearchStatistics? statistics)
    {
        var predicate = input.Predicate;
        var (oversampled, ef) = plan.Oversampled(input.K, input.Ef);
        var buffer = ArrayPool<Neighbor>.Shared.Rent(oversampled);
        try
        {
            int found = input.Graph.SearchAdaptive(input.Query, oversampled, ef, prefix.Dimensions, prefix.Shortlist(oversampled), buffer, statistics);
            return PostFilterPlan.KeepMatches(predicate, buffer.AsSpan(0, found), input.K, results);
        }
        finally
        {
            ArrayPool<Neighbor>.Shared.Return(buffer);
        }
    }
}

/// <summary>
/// A plan an adaptive search runs on whole vectors (it searches another graph than the one prefix copies are kept for,
/// or must be exact where a prefix would not be), explained so.
/// </summary>
internal sealed class WholeVectorPlan(SearchPlan plan, string why = "adaptive search does not apply to this strategy")
    : SearchPlan(plan.Strategy, () => $"{plan.Reason}; {why}, so it compared all dimensions", plan.CostMicroseconds)
{
    public override bool MayMissMatches => plan.MayMissMatches;

    public override int Run(scoped in PlanInput input, Span<Neighbor> results, SearchStatistics? statistics)
    {
        int found = plan.Run(input, results, statistics);
        Matches = plan.Matches;
        return found;
    }
}
