using System.Buffers;
using VectorDb.Hnsw;

namespace VectorDb.Query.Planning;

/// <summary>An unfiltered walk of the graph (which answers a walk that strands with an exact scan itself).</summary>
internal sealed class GraphPlan() : SearchPlan(SearchStrategy.Graph, () => "no filter")
{
    public static GraphPlan Instance { get; } = new();

    public override bool MayMissMatches => false;

    public override int Run(scoped in PlanInput input, Span<Neighbor> results, SearchStatistics? statistics) =>
        input.Graph.Search(input.Query, input.K, input.Ef, results, input.Quantization, statistics);
}

/// <summary>
/// A walk of the whole graph admitting only matches to the result: plain (<see cref="SearchStrategy.FilteredGraph"/>)
/// or two-hop (<see cref="SearchStrategy.TwoHopGraph"/>, ACORN-1), with footholds among the matches for a selective
/// filter and, when the filter's field keeps them, extra link layers to follow and look through along.
/// </summary>
internal class FilteredWalkPlan : SearchPlan
{
    private const int MaxSeeds = 16;

    private const string FollowReason = "each match also leads on through the links among its value's points";

    // Above this share matches are all over the graph and a walk meets them without footholds.
    private const double MaxSeededShare = 0.25;

    private readonly EstimationContext _context;
    private readonly Cardinality _estimate;

    /// <summary>A walk as the planner chose or was told to take.</summary>
    /// <param name="twoHop">Two hops through rejected nodes (ACORN-1), or a plain walk.</param>
    /// <param name="reason">Why it was chosen, put in words when explain reads it.</param>
    /// <param name="cost">Its price, in microseconds.</param>
    /// <param name="context">The filter's estimation context, whose sample the footholds come from.</param>
    /// <param name="estimate">The filter's estimated matches.</param>
    /// <param name="entry">Where to enter layer 0, when a probe of the query's neighborhood has found it already.</param>
    /// <param name="layers">The filter's extra link layers (a two-hop walk follows and looks through along them).</param>
    public FilteredWalkPlan(bool twoHop, Func<string> reason, double? cost, EstimationContext context, Cardinality estimate, Neighbor? entry = null, ReachLayers layers = default)
        : base(twoHop ? SearchStrategy.TwoHopGraph : SearchStrategy.FilteredGraph, () => WithLayers(reason(), twoHop, layers), cost)
    {
        TwoHop = twoHop;
        _context = context;
        _estimate = estimate;
        Entry = entry;
        Layers = layers;
    }

    public bool TwoHop { get; }

    public Neighbor? Entry { get; }

    public ReachLayers Layers { get; }

    /// <summary>The same walk entering where a probe of the query's neighborhood entered.</summary>
    public FilteredWalkPlan WithEntry(Neighbor? entry, Func<string> reason) => new(TwoHop, reason, CostMicroseconds, _context, _estimate, entry, Layers);

    /// <summary>A reason that also says what a two-hop walk's link layers add, once.</summary>
    private static string WithLayers(string reason, bool twoHop, ReachLayers layers)
    {
        if (twoHop && layers.Follow is not null && !reason.Contains(FollowReason, StringComparison.Ordinal))
        {
            reason += "; " + FollowReason;
        }

        if (twoHop && layers.LookThrough is not null && !reason.Contains(QueryPlanner.BorderLinksReason, StringComparison.Ordinal))
        {
            reason += "; " + QueryPlanner.BorderLinksReason;
        }

        return reason;
    }

    public override int Run(scoped in PlanInput input, Span<Neighbor> results, SearchStatistics? statistics)
    {
        var predicate = input.Predicate;
        var walk = Walk(predicate) with { Quantization = input.Quantization };

        // A filter that is one indexed condition is checked inline from its field's column.
        return predicate.AsColumnFilter() is { } column
            ? input.Graph.Search(input.Query, input.K, input.Ef, results, column, walk, statistics)
            : input.Graph.Search(input.Query, input.K, input.Ef, results, new PredicateFilter(predicate), walk, statistics);
    }

    /// <summary>How this plan walks for <paramref name="predicate"/>: footholds among the sampled matches for a selective filter, its entry and link layers.</summary>
    public WalkOptions Walk(NodePredicate predicate)
    {
        int[] seeds = _estimate.Expected > MaxSeededShare * _context.Total ? [] : _context.SampleMatches(predicate, MaxSeeds);
        return new WalkOptions
        {
            TwoHop = TwoHop,
            Seeds = seeds,
            AcceptedShare = _context.Total == 0 ? 0 : _estimate.Expected / (double)_context.Total,
            Entry = Entry,
            FollowLayer = Layers.Follow,
            LookThroughLayer = Layers.LookThrough,
        };
    }

    public override SearchPlan OnPrefix(PrefixSearch prefix, HnswIndex graph, int k) => new PrefixWalkPlan(this, prefix, graph.Dimensions, k);
}

/// <summary>
/// A two-hop walk for a filter excluding values of a keyword index that keeps border links: a point rejected for its
/// value is looked through to the nearest points of other values (docs/planner.md, "Border links").
/// </summary>
internal sealed class BorderLinksPlan(Func<string> reason, double? cost, EstimationContext context, Cardinality estimate, ReachLayers layers)
    : FilteredWalkPlan(twoHop: true, reason, cost, context, estimate, entry: null, layers);

/// <summary>An unfiltered walk for an oversampled k, then the filter on its hits: when nearly every point matches.</summary>
internal sealed class PostFilterPlan(Func<string> reason, double? cost, Cardinality estimate, int total) : SearchPlan(SearchStrategy.PostFilter, reason, cost)
{
    public override int Run(scoped in PlanInput input, Span<Neighbor> results, SearchStatistics? statistics)
    {
        var (oversampled, ef) = Oversampled(input.K, input.Ef);
        var buffer = ArrayPool<Neighbor>.Shared.Rent(oversampled);
        try
        {
            int found = input.Graph.Search(input.Query, oversampled, ef, buffer, input.Quantization, statistics);
            return KeepMatches(input.Predicate, buffer.AsSpan(0, found), input.K, results);
        }
        finally
        {
            ArrayPool<Neighbor>.Shared.Return(buffer);
        }
    }

    public override SearchPlan OnPrefix(PrefixSearch prefix, HnswIndex graph, int k) => new PrefixPostFilterPlan(this, prefix, graph.Dimensions, k);

    /// <summary>How many hits the unfiltered search asks for, and its beam, so that k of them are likely to match.</summary>
    public (int K, int Ef) Oversampled(int k, int ef)
    {
        double share = Math.Max(estimate.Min, 1) / (double)total;
        return ((int)Math.Min(total, Math.Ceiling((k / share * 1.2) + 2)), (int)Math.Ceiling(Math.Max(ef, k) / share));
    }

    /// <summary>The first k of <paramref name="hits"/> that match, into results; returns their count.</summary>
    public static int KeepMatches(NodePredicate predicate, ReadOnlySpan<Neighbor> hits, int k, Span<Neighbor> results)
    {
        int kept = 0;
        for (int i = 0; i < hits.Length && kept < k; i++)
        {
            if (predicate.Matches(hits[i].Id))
            {
                results[kept++] = hits[i];
            }
        }

        return kept;
    }
}

/// <summary>The extra link layers a filter's field keeps in the graph: null where it keeps none.</summary>
/// <param name="Follow">Links among the points of the values the filter requires or excludes (value links).</param>
/// <param name="LookThrough">Links from a point to the nearest points of other values (border links), for a filter excluding values.</param>
internal readonly record struct ReachLayers(int? Follow = null, int? LookThrough = null);
