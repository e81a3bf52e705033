using VectorDb.Hnsw;

namespace VectorDb.Query.Planning;

/// <summary>
/// Runs a plan and explains it: a plan that may miss matches (a graph walk) and found fewer than k is completed by an
/// exact scan, so the result always has min(k, matches) hits.
/// </summary>
internal static class PlanRunner
{
    /// <summary>
    /// Runs a filtered search the way the planner chooses; with <paramref name="prefix"/>, the chosen plan compares that
    /// prefix of each vector first (an adaptive-dimension search), and the planner learns where the matches lie from
    /// <paramref name="probe"/> (by default a probe on the prefix); a walk enters layer 0 where a given probe entered.
    /// <paramref name="explain"/> is filled only when <paramref name="explained"/>: a search not explained never puts its plans in words.
    /// </summary>
    public static int RunFiltered(
        QueryPlanner planner, scoped in PlanInput input, IPointSource points, SearchStrategy? forced, Span<Neighbor> results, bool explained, out SearchExplain? explain,
        PrefixSearch? prefix = null, NeighborhoodProbe? probe = null)
    {
        var statistics = new SearchStatistics();
        probe = prefix is null ? probe is { } whole ? whole with { Entry = null } : null // a prefix probe's entry distance means nothing to a whole-vector walk
            : probe ?? new NeighborhoodProbe(Dimensions: prefix.Value.Dimensions);
        var plan = planner.Plan(input.Graph, input.Query, input.K, input.Ef, input.Predicate, points, forced, statistics, probe);
        var chosen = plan.Chosen is FilteredWalkPlan { Entry: null } walk && probe?.Entry is { } entry && prefix is not null ? walk.WithEntry(entry, walk.LazyReason) : plan.Chosen;
        chosen = prefix is { } walked ? chosen.OnPrefix(walked, input.Graph, input.K) : chosen;
        int found = Run(chosen, input, results, statistics, out var ran);
        explain = explained ? Explain(chosen, ran, statistics, Math.Max(input.Ef, input.K), plan.Estimate, plan.Costs()) : null;
        return found;
    }

    /// <summary>Runs a plan, completing a short answer with an exact scan; <paramref name="ran"/> is the plan that answered.</summary>
    public static int Run(SearchPlan plan, scoped in PlanInput input, Span<Neighbor> results, SearchStatistics? statistics, out SearchPlan ran)
    {
        ran = plan;
        int found = plan.Run(input, results, statistics);
        if (input.Filter is not null)
        {
            input.Cancellation.ThrowIfCancellationRequested();
        }

        if (found < input.K && plan.MayMissMatches)
        {
            ran = new ExactScanPlan(SearchStrategy.ExactScan, plan.LazyReason);
            found = ran.Run(input, results, statistics);
        }

        return found;
    }

    /// <summary>
    /// What explain shows of a plan that ran: the plan, or the exact scan that completed it (<paramref name="ran"/>), or —
    /// unfiltered — the scan that answered a walk that stranded.
    /// </summary>
    public static SearchExplain Explain(
        SearchPlan plan, SearchPlan ran, SearchStatistics statistics, int ef, Cardinality? estimate = null, IReadOnlyDictionary<SearchStrategy, double>? costs = null)
    {
        costs ??= new Dictionary<SearchStrategy, double>();
        if (ran != plan)
        {
            return new(ran.Strategy, plan.Reason, estimate, ran.Matches, costs, statistics.DistanceComputations, statistics.NodesVisited, plan.Strategy, ef)
            {
                Rescored = statistics.Rescored,
            };
        }

        if (estimate is null && statistics.FellBackToExact)
        {
            return new(SearchStrategy.Exact, $"{plan.Reason}; the walk found fewer than k points, so an exact scan answered", null, null, costs,
                statistics.DistanceComputations, statistics.NodesVisited, plan.Strategy, ef)
            {
                Rescored = statistics.Rescored,
            };
        }

        return new(plan.Strategy, plan.Reason, estimate, plan.Matches, costs, statistics.DistanceComputations, statistics.NodesVisited, null, ef)
        {
            SearchDimensions = plan.SearchDimensions,
            Rescored = statistics.Rescored,
        };
    }
}
