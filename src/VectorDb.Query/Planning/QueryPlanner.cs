using System.Numerics;
using VectorDb.Hnsw;
using VectorDb.Query.Reach;

namespace VectorDb.Query.Planning;

/// <summary>
/// Chooses how to run a filtered search: prices a plan for each strategy that applies (<see cref="SearchPlan"/>) from
/// the filter's estimated cardinality, in nanoseconds, takes the cheapest, and settles plain against two-hop traversal
/// of a broad filter from the matches around the query. The prices are a model of where the time goes (distance computations, filter checks,
/// listing index postings), with constants measured on this machine by the filtered-search benchmark
/// (docs/planner.md); the number of distances a graph search needs per unit of ef is learned from the
/// collection's own unfiltered searches. A planner for a graph other than the one payload indexes reach into
/// (a named vector's) is made with <c>usesReach: false</c> and never plans value links, border links or tenant graphs.
/// </summary>
internal sealed class QueryPlanner(int dimensions, int maxLinks0, bool usesReach = true)
{
    // Nanoseconds per filter-check cost unit (an indexed column check is cost 1, a payload check 100).
    private const double CheckNanosPerCostUnit = 3;

    // Listing one candidate from postings, sorting and checking it.
    private const double ListNanosPerCandidate = 25;

    // Vectors of a collection larger than this come from memory, not cache: a distance then costs about
    // the time to stream the row (measured: 0.55 ns per dimension for 784-d fashion-mnist, 60k points).
    private const long CachedVectorBytes = 8L << 20;

    // A graph walk's work per distance beyond the distance itself: the visited set, the heaps, reading the link
    // block of each expanded node. Measured on unfiltered searches: SIGMOD (100-d, cached) 80 ns per distance
    // against a 14 ns distance, fashion-mnist 500–590 ns against 435. Without it the model took a walk on small,
    // cached vectors for as cheap per distance as a scan, and walked 800 µs where a scan took 60.
    private const double GraphVisitNanos = 60;

    // "Nearly everything matches": post-filtering is considered at or above this certain share.
    private const double PostFilterMinShare = 0.9;

    // Filter checks (and the link reads behind them) per distance of a two-hop walk, over the share s: a walk looks
    // through rejected neighbors' lists until it has its budget of matches. Measured by forcing two-hop: SIGMOD
    // type 1 (100-d, s ≈ 0.08) spent ~290 µs beyond its 463 distances, fashion-mnist 10 % ~155 µs beyond the
    // distance term for 342 — both about 14·D/s checks at 3 ns. (It was 2, fitted on 784-d data alone, where
    // distances hid the checks; on 100-d data the planner then chose two-hop at 1/14 the speed of a scan.)
    private const double TwoHopChecksPerDistance = 14;

    // Below this many accepted nodes in the two-hop neighborhood (s·M₀²) the accepted subgraph may fall apart.
    private const double TwoHopMinReach = 4;

    // Plain and two-hop traversal of a filter matching at least this share are told apart by the matches around
    // the query (HnswIndex.NeighborhoodShare); below it two-hop won every case measured (2× at 10 %).
    private const double NeighborhoodProbeMinShare = 0.25;

    // Plain traversal when at least this share of the query's graph neighborhood matches (measured: 50 % uniform
    // matches 1.4× faster than two-hop; "any class but the query's", 90 % of points but few near the query, 2.4× slower)…
    private const double PlainTraversalMinNeighborhoodShare = 0.4;

    // …and the neighborhood holds matches about as densely as the collection does. Queries at the border of their
    // class under "any class but the query's" see ~50 % matches around them against 90 % overall; all of them went
    // two-hop faster (forced, ef 32: 2,279 QPS against 1,599 with those ~30 % of queries walked plainly).
    private const double PlainTraversalMinDensity = 0.75;

    // Learned: distance computations of an unfiltered search / ef, per power-of-two range of ef (NaN: none seen yet).
    // One figure for all ef misled: the descent and the first expansions cost the same at any ef, so the ratio falls
    // as ef grows (SIGMOD: 16.5 at ef 32, 8.5 at ef 256), and after searches at ef 256 a query at ef 32 was priced
    // at half its graph work — a quarter of SIGMOD's category filters then walked the graph, slower than a scan.
    private readonly double[] _distancesPerEf = [.. Enumerable.Repeat(double.NaN, 16)];
    private const double DefaultDistancesPerEf = 20;

    /// <summary>Nanoseconds per distance computation on vectors in random order (graph or listed scan).</summary>
    private double DistanceNanos(int total) =>
        (long)total * dimensions * sizeof(float) <= CachedVectorBytes ? 4 + (0.1 * dimensions) : 4 + (0.55 * dimensions);

    /// <summary>Feeds back the work an unfiltered graph search did, to keep the graph-cost model calibrated.</summary>
    public void Observe(int ef, long distances)
    {
        if (ef > 0 && distances > 0)
        {
            double sample = (double)distances / ef;
            ref double learned = ref _distancesPerEf[EfRange(ef)];
            learned = double.IsNaN(learned) ? sample : learned + (0.05 * (sample - learned)); // lock-free and approximate on purpose
        }
    }

    /// <summary>Distance computations of an unfiltered search at <paramref name="ef"/>: learned at this ef's range,
    /// else at the nearest range learned, else a default.</summary>
    public double GraphDistances(int ef)
    {
        int range = EfRange(ef);
        for (int step = 0; step < _distancesPerEf.Length; step++)
        {
            foreach (int candidate in (ReadOnlySpan<int>)[range - step, range + step])
            {
                if ((uint)candidate < (uint)_distancesPerEf.Length && _distancesPerEf[candidate] is var learned && !double.IsNaN(learned))
                {
                    return learned * ef;
                }
            }
        }

        return DefaultDistancesPerEf * ef;
    }

    private int EfRange(int ef) => Math.Min(BitOperations.Log2((uint)Math.Max(ef, 1)), _distancesPerEf.Length - 1);

    /// <summary>
    /// Qdrant's <c>full_scan_threshold</c>, in bytes of float32 vectors: a filtered search whose matches' vectors are
    /// estimated at no more than this scans them exactly, whatever the cost model says. Null: the cost model decides.
    /// </summary>
    public long? FullScanThresholdBytes
    {
        get => Volatile.Read(ref _fullScanThresholdBytes) is var bytes and >= 0 ? bytes : null;
        set => Volatile.Write(ref _fullScanThresholdBytes, value ?? -1);
    }

    private long _fullScanThresholdBytes = -1; // a long, not a long?, so searches never read it half-written

    /// <summary>Whether <paramref name="vectors"/> float32 rows of the planner's dimension are within the full-scan threshold.</summary>
    public bool WithinFullScanThreshold(long vectors) => FullScanThresholdBytes is long threshold && vectors * dimensions * sizeof(float) <= threshold;

    /// <summary>
    /// An exact scan (as <paramref name="strategy"/>) of <paramref name="vectors"/> when their float32 rows are within
    /// full_scan_threshold, explained with the threshold that decided it; null otherwise.
    /// </summary>
    public ExactScanPlan? FullScanPlan(SearchStrategy strategy, long vectors) =>
        FullScanThresholdBytes is long threshold && vectors * dimensions * sizeof(float) is var bytes && bytes <= threshold
            ? FullScan(strategy, bytes, threshold)
            : null;

    private static ExactScanPlan FullScan(SearchStrategy strategy, long bytes, long threshold) =>
        new(strategy, () => $"the vectors searched ({bytes / 1024.0:F0} KB) are within full_scan_threshold ({threshold / 1024} KB): scan them exactly") { Required = true };

    /// <summary>What explain's reason says of a two-hop walk along border links.</summary>
    public const string BorderLinksReason = "a point rejected for its value is looked through to the nearest points of other values";

    /// <summary>
    /// The plan for a filtered search: the cheapest of those priced, or the one <paramref name="forced"/> names; for a
    /// broad filter, plain or two-hop traversal as the matches around the query decide (a probe whose work goes into
    /// <paramref name="statistics"/>).
    /// </summary>
    /// <exception cref="InvalidRequestException"><paramref name="forced"/> names a strategy that does not apply to this filter.</exception>
    public FilterPlan Plan(
        HnswIndex graph, ReadOnlySpan<float> query, int k, int ef, NodePredicate predicate, IPointSource points, SearchStrategy? forced, SearchStatistics statistics,
        NeighborhoodProbe? probe = null)
    {
        var context = new EstimationContext(points);
        var estimate = predicate.Estimate(context);
        var reach = usesReach ? predicate.Reach : FilterReach.None; // payload reach lives on the unnamed vector's graph only
        var plans = Price(estimate, context, predicate, reach, k, ef);
        var chosen = plans.Count == 0 ? new NoMatchesPlan() : plans.MinBy(p => p.CostMicroseconds!.Value)!;
        if (forced is null && plans.Count > 0 && FullScanPlan(SearchStrategy.ExactScan, estimate.Max) is { } fullScan)
        {
            return new FilterPlan(fullScan, estimate, plans);
        }

        if (forced is { } strategy)
        {
            return new FilterPlan(chosen.Strategy == strategy && strategy != SearchStrategy.ExactScan ? chosen : Forced(strategy, context, estimate, reach), estimate, plans);
        }

        if (chosen is FilteredWalkPlan walk && plans.Any(p => p.Strategy == SearchStrategy.FilteredGraph) && plans.Any(p => p.Strategy == SearchStrategy.TwoHopGraph)
            && estimate.Expected >= NeighborhoodProbeMinShare * context.Total)
        {
            chosen = reach.LookThroughLayer is not null
                ? BorderTraversal(context, estimate, reach, walk.CostMicroseconds)
                : Traversal(graph, query, context, estimate, predicate, statistics, plans, probe);
        }

        return new FilterPlan(chosen, estimate, plans);
    }

    /// <summary>
    /// Plain or two-hop traversal of a filter matching a large share of points, from the share of matches among the
    /// query's graph neighbors; either enters layer 0 where the probe did.
    /// </summary>
    private static FilteredWalkPlan Traversal(
        HnswIndex graph, ReadOnlySpan<float> query, EstimationContext context, Cardinality estimate, NodePredicate predicate, SearchStatistics statistics, List<SearchPlan> plans,
        NeighborhoodProbe? probe)
    {
        double around;
        Neighbor? entry;
        if (probe is { Around: double known })
        {
            (around, entry) = (known, probe.Value.Entry);
        }
        else if (probe is { Dimensions: int dimensions })
        {
            around = graph.NeighborhoodShare(query, new PredicateFilter(predicate), dimensions, out entry);
        }
        else
        {
            around = graph.NeighborhoodShare(query, new PredicateFilter(predicate), statistics, out entry);
        }

        double share = estimate.Expected / (double)context.Total;
        bool plain = around >= Math.Max(PlainTraversalMinNeighborhoodShare, PlainTraversalMinDensity * share);
        var priced = (FilteredWalkPlan)plans.First(p => p.Strategy == (plain ? SearchStrategy.FilteredGraph : SearchStrategy.TwoHopGraph));
        return priced.WithEntry(entry, () => plain
            ? $"~{share:P1} of points match, {around:P0} of the query's graph neighborhood: traverse the graph, admit only matches"
            : $"~{share:P1} of points match but only {around:P0} of the query's graph neighborhood (the matches lie away from the query): traverse matching nodes only, two hops through the rest");
    }

    /// <summary>
    /// Two-hop traversal for a filter excluding values of a keyword index that keeps border links, whatever the
    /// matches around the query: where they are many it walks like a plain traversal, and where the query lies among the
    /// excluded values (its own class, say) their border links lead it out. Forced on all of "any label but the
    /// query's", it measured 0.67–0.87× unfiltered search at the same recall where the choice from the neighborhood (a
    /// fifth of those queries traversed plainly) measured 0.59–0.75× (docs/planner.md, "Border links").
    /// </summary>
    private static BorderLinksPlan BorderTraversal(EstimationContext context, Cardinality estimate, FilterReach reach, double? cost) =>
        new(() => $"~{estimate.Expected / (double)context.Total:P1} of points match, the rest excluded by value: traverse matching nodes only; {BorderLinksReason}",
            cost, context, estimate, Layers(reach));

    /// <summary>The plan a query forced, whatever it costs.</summary>
    private static SearchPlan Forced(SearchStrategy strategy, EstimationContext context, Cardinality estimate, FilterReach reach)
    {
        static string reason() => "forced by the query";
        return strategy switch
        {
            SearchStrategy.NoMatches => new NoMatchesPlan(),
            SearchStrategy.ExactScan => new ExactScanPlan(SearchStrategy.ExactScan, reason) { Required = true },
            SearchStrategy.FilteredGraph => new FilteredWalkPlan(twoHop: false, reason, null, context, estimate, layers: Layers(reach)),
            SearchStrategy.TwoHopGraph => new FilteredWalkPlan(twoHop: true, reason, null, context, estimate, layers: Layers(reach)),
            SearchStrategy.PostFilter => new PostFilterPlan(reason, null, estimate, context.Total),
            SearchStrategy.TenantGraph => reach.Tenant is { } tenant
                ? new TenantGraphPlan(tenant, reason, null)
                : throw new InvalidRequestException("Strategy TenantGraph needs a filter requiring one value of a tenant index that has a graph of its own (1,000 points or more)."),
            SearchStrategy.ValueLinks => reach.Links is { } links
                ? new ValueLinksPlan(links, reason, null)
                : throw new InvalidRequestException($"Strategy ValueLinks needs a filter requiring one value of a keyword index held by {IValueReach.MinPoints:N0} points or more."),
            _ => throw new InvalidRequestException($"Strategy {strategy} does not apply to a filtered search."),
        };
    }

    private static ReachLayers Layers(FilterReach reach) => new(reach.FollowLayer, reach.LookThroughLayer);

    /// <summary>
    /// A plan for each strategy that applies, priced in microseconds; none when no point can match. A tenant index's
    /// graph, and links among a value's points, apply when the filter requires a value that has them.
    /// </summary>
    private List<SearchPlan> Price(Cardinality estimate, EstimationContext context, NodePredicate predicate, FilterReach reach, int k, int ef)
    {
        int total = context.Total;
        if (estimate.Max == 0 || total == 0)
        {
            return [];
        }

        bool listable = predicate.CanList;
        var tenant = reach.Tenant;
        var links = reach.Links;
        int tenantPoints = tenant?.Graph.Count ?? 0;
        int linkedPoints = links?.Members.Count ?? 0;
        double distance = DistanceNanos(total);
        double visit = distance + GraphVisitNanos;
        double check = predicate.Cost * CheckNanosPerCostUnit;
        double share = Math.Max(1, estimate.Expected) / (double)total;
        double graphDistances = GraphDistances(Math.Max(ef, k));
        var layers = Layers(reach);
        var plans = new List<SearchPlan>(7);

        // Multipliers on an unfiltered search's work, fitted to the filtered-search benchmark on fashion-mnist
        // (docs/planner.md): plain traversal needs ~s^-0.8 times the distances (not 1/s: matches cluster);
        // two-hop computes distances for matches only, but reads a rejected neighbor's links for each.
        // A long scan runs on all cores (HnswIndex.ScanPartitions); listing the matches does not.
        double scan = listable
            ? (estimate.Max * ListNanosPerCandidate) + (estimate.Expected * (distance + check) / HnswIndex.ScanPartitions(estimate.Expected, dimensions))
            : ((total * check) + (estimate.Expected * distance)) / HnswIndex.ScanPartitions(total, dimensions);
        plans.Add(new ExactScanPlan(SearchStrategy.ExactScan, () => listable
            ? $"about {estimate.Expected} of {total} points match; scanning those listed by the indexes is cheapest"
            : $"about {estimate.Expected} of {total} points match; checking every point and scanning the matches is cheapest", Micro(scan)));
        plans.Add(new FilteredWalkPlan(twoHop: false, () => $"~{share:P1} of points match: traverse the graph, admit only matches",
            Micro(graphDistances * Math.Pow(share, -0.8) * (visit + check)), context, estimate, layers: layers));
        if (share * maxLinks0 * maxLinks0 >= TwoHopMinReach)
        {
            plans.Add(new FilteredWalkPlan(twoHop: true, () => $"selective filter (~{share:P1} of points): traverse matching nodes only, two hops through the rest",
                Micro((graphDistances * visit * (1 + (0.8 * (1 - share)))) + (TwoHopChecksPerDistance * graphDistances / share * check)), context, estimate, layers: layers));
        }

        // The value's own graph is searched plainly, admitting what matches the rest of the filter; its size barely
        // changes the work of a search (log n), so it is priced like the collection's with the share inside it.
        if (tenant is not null && tenantPoints > 0)
        {
            double tenantShare = Math.Clamp((double)Math.Max(1, estimate.Expected) / tenantPoints, 1e-6, 1);
            plans.Add(new TenantGraphPlan(tenant, () => $"the filter requires a value with a graph of its own ({tenantPoints} points, ~{tenantShare:P0} of them match): search that graph",
                Micro(graphDistances * Math.Pow(tenantShare, -0.8) * (visit + check))));
        }

        // The value's links are walked like a graph of its own points, entered through the collection's graph.
        if (links is not null && linkedPoints > 0)
        {
            double linkedShare = Math.Clamp((double)Math.Max(1, estimate.Expected) / linkedPoints, 1e-6, 1);
            plans.Add(new ValueLinksPlan(links, () => $"the filter requires a value whose {linkedPoints} points are linked among themselves (~{linkedShare:P0} of them match): walk those links",
                Micro(graphDistances * Math.Pow(linkedShare, -0.8) * (visit + check))));
        }

        double certainShare = (double)estimate.Min / total;
        if (certainShare >= PostFilterMinShare)
        {
            plans.Add(new PostFilterPlan(() => $"at least {certainShare:P1} of points match: search unfiltered for ~{k / certainShare:F0} hits, then filter",
                Micro((graphDistances / certainShare * visit) + (k / certainShare * check)), estimate, total));
        }

        return plans;
    }

    private static double Micro(double nanoseconds) => nanoseconds / 1000;
}

/// <summary>
/// How the planner learns where a filter's matches lie around the query (<see cref="HnswIndex.NeighborhoodShare{TFilter}(ReadOnlySpan{float}, TFilter, SearchStatistics?, out Neighbor?)"/>):
/// by a probe comparing the first <paramref name="Dimensions"/> (an adaptive search's prefix, so that a vector kept on disk
/// is not read), or from a probe the caller made already (<paramref name="Around"/>, and where it entered layer 0).
/// The default probes on the whole vector. An entry found on a prefix is for walks on a prefix only.
/// </summary>
internal readonly record struct NeighborhoodProbe(int? Dimensions = null, double? Around = null, Neighbor? Entry = null);

/// <summary>The planner's answer for a filtered search: the plan to run, the filter's estimate, and the plans priced.</summary>
internal sealed record FilterPlan(SearchPlan Chosen, Cardinality Estimate, IReadOnlyList<SearchPlan> Priced)
{
    /// <summary>Every priced plan's cost in microseconds, rounded as explain shows it.</summary>
    public IReadOnlyDictionary<SearchStrategy, double> Costs() => Priced.ToDictionary(p => p.Strategy, p => Math.Round(p.CostMicroseconds!.Value, 1));
}
