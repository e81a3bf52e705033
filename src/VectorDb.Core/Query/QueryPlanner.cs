using System.Numerics;
using VectorDb.Hnsw;

namespace VectorDb.Query;

/// <summary>
/// Chooses how to run a filtered search from the filter's estimated cardinality, by pricing each strategy
/// in nanoseconds. The prices are a model of where the time goes (distance computations, filter checks,
/// listing index postings), with constants measured on this machine by the filtered-search benchmark
/// (docs/planner.md); the number of distances a graph search needs per unit of ef is learned from the
/// collection's own unfiltered searches.
/// </summary>
internal sealed class QueryPlanner(int dimensions, int maxLinks0)
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
    // through rejected neighbours' lists until it has its budget of matches. Measured by forcing two-hop: SIGMOD
    // type 1 (100-d, s ≈ 0.08) spent ~290 µs beyond its 463 distances, fashion-mnist 10 % ~155 µs beyond the
    // distance term for 342 — both about 14·D/s checks at 3 ns. (It was 2, fitted on 784-d data alone, where
    // distances hid the checks; on 100-d data the planner then chose two-hop at 1/14 the speed of a scan.)
    private const double TwoHopChecksPerDistance = 14;

    // Below this many accepted nodes in the two-hop neighbourhood (s·M₀²) the accepted subgraph may fall apart.
    private const double TwoHopMinReach = 4;

    // Plain and two-hop traversal of a filter matching at least this share are told apart by the matches around
    // the query (HnswIndex.NeighbourhoodShare); below it two-hop won every case measured (2× at 10 %).
    private const double NeighbourhoodProbeMinShare = 0.25;

    // Plain traversal when at least this share of the query's graph neighbourhood matches (measured: 50 % uniform
    // matches 1.4× faster than two-hop; "any class but the query's", 90 % of points but few near the query, 2.4× slower)…
    private const double PlainTraversalMinNeighbourhoodShare = 0.4;

    // …and the neighbourhood holds matches about as densely as the collection does. Queries at the border of their
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

    /// <summary>True when the choice is between plain and two-hop traversal of a filter that matches a large share
    /// of points, which <see cref="ChooseTraversal"/> settles from the matches around the query.</summary>
    public static bool NeedsNeighbourhood(SearchStrategy chosen, Dictionary<SearchStrategy, double> costs, Cardinality estimate, int total) =>
        chosen is SearchStrategy.FilteredGraph or SearchStrategy.TwoHopGraph
        && costs.ContainsKey(SearchStrategy.FilteredGraph) && costs.ContainsKey(SearchStrategy.TwoHopGraph)
        && estimate.Expected >= NeighbourhoodProbeMinShare * total;

    /// <summary>Plain or two-hop traversal, from the share of matches among the query's graph neighbours.</summary>
    public static (SearchStrategy Strategy, string Reason) ChooseTraversal(double neighbourhoodShare, Cardinality estimate, int total)
    {
        double share = estimate.Expected / (double)total;
        return neighbourhoodShare >= Math.Max(PlainTraversalMinNeighbourhoodShare, PlainTraversalMinDensity * share)
            ? (SearchStrategy.FilteredGraph, $"~{share:P1} of points match, {neighbourhoodShare:P0} of the query's graph neighbourhood: traverse the graph, admit only matches")
            : (SearchStrategy.TwoHopGraph, $"~{share:P1} of points match but only {neighbourhoodShare:P0} of the query's graph neighbourhood (the matches lie away from the query): traverse matching nodes only, two hops through the rest");
    }

    /// <summary>What explain's reason says of a two-hop walk along border links.</summary>
    public const string BorderLinksReason = "a point rejected for its value is looked through to the nearest points of other values";

    /// <summary>
    /// Two-hop traversal for a filter excluding values of a keyword index that keeps border links, whatever the
    /// matches around the query: where they are many it walks like a plain traversal, and where the query lies among the
    /// excluded values (its own class, say) their border links lead it out. Forced on all of "any label but the
    /// query's", it measured 0.67–0.87× unfiltered search at the same recall where the choice from the neighbourhood (a
    /// fifth of those queries traversed plainly) measured 0.59–0.75× (docs/planner.md, session 17).
    /// </summary>
    public static (SearchStrategy Strategy, string Reason) ChooseBorderTraversal(Cardinality estimate, int total) =>
        (SearchStrategy.TwoHopGraph, $"~{estimate.Expected / (double)total:P1} of points match, the rest excluded by value: traverse matching nodes only; {BorderLinksReason}");

    /// <summary>The cheapest strategy for a filter; <paramref name="tenantPoints"/> is the size of the graph a tenant
    /// index keeps for a value the filter requires (0 when none); <paramref name="linkedPoints"/> the number of
    /// points holding a value the filter requires that a keyword index links among themselves (0 when none).</summary>
    public (SearchStrategy Strategy, string Reason, Dictionary<SearchStrategy, double> Costs) Choose(
        Cardinality estimate, int total, NodePredicate predicate, bool listable, int k, int ef, int tenantPoints = 0, int linkedPoints = 0)
    {
        var costs = new Dictionary<SearchStrategy, double>();
        if (estimate.Max == 0 || total == 0)
        {
            return (SearchStrategy.NoMatches, "no point can match the filter", costs);
        }

        double distance = DistanceNanos(total);
        double visit = distance + GraphVisitNanos;
        double check = predicate.Cost * CheckNanosPerCostUnit;
        double share = Math.Max(1, estimate.Expected) / (double)total;
        double graphDistances = GraphDistances(Math.Max(ef, k));

        // Multipliers on an unfiltered search's work, fitted to the filtered-search benchmark on fashion-mnist
        // (docs/planner.md): plain traversal needs ~s^-0.8 times the distances (not 1/s: matches cluster);
        // two-hop computes distances for matches only, but reads a rejected neighbour's links for each.
        // A long scan runs on all cores (HnswIndex.ScanPartitions); listing the matches does not.
        costs[SearchStrategy.ExactScan] = listable
            ? (estimate.Max * ListNanosPerCandidate) + (estimate.Expected * (distance + check) / HnswIndex.ScanPartitions(estimate.Expected, dimensions))
            : ((total * check) + (estimate.Expected * distance)) / HnswIndex.ScanPartitions(total, dimensions);
        costs[SearchStrategy.FilteredGraph] = graphDistances * Math.Pow(share, -0.8) * (visit + check);
        if (share * maxLinks0 * maxLinks0 >= TwoHopMinReach)
        {
            costs[SearchStrategy.TwoHopGraph] = (graphDistances * visit * (1 + (0.8 * (1 - share)))) + (TwoHopChecksPerDistance * graphDistances / share * check);
        }

        // The value's own graph is searched plainly, admitting what matches the rest of the filter; its size barely
        // changes the work of a search (log n), so it is priced like the collection's with the share inside it.
        double tenantShare = tenantPoints > 0 ? Math.Clamp((double)Math.Max(1, estimate.Expected) / tenantPoints, 1e-6, 1) : 0;
        if (tenantPoints > 0)
        {
            costs[SearchStrategy.TenantGraph] = graphDistances * Math.Pow(tenantShare, -0.8) * (visit + check);
        }

        // The value's links are walked like a graph of its own points, entered through the collection's graph.
        double linkedShare = linkedPoints > 0 ? Math.Clamp((double)Math.Max(1, estimate.Expected) / linkedPoints, 1e-6, 1) : 0;
        if (linkedPoints > 0)
        {
            costs[SearchStrategy.ValueLinks] = graphDistances * Math.Pow(linkedShare, -0.8) * (visit + check);
        }

        double certainShare = (double)estimate.Min / total;
        if (certainShare >= PostFilterMinShare)
        {
            costs[SearchStrategy.PostFilter] = (graphDistances / certainShare * visit) + (k / certainShare * check);
        }

        var best = costs.MinBy(c => c.Value).Key;
        string reason = best switch
        {
            SearchStrategy.ExactScan => listable
                ? $"about {estimate.Expected} of {total} points match; scanning those listed by the indexes is cheapest"
                : $"about {estimate.Expected} of {total} points match; checking every point and scanning the matches is cheapest",
            SearchStrategy.TwoHopGraph => $"selective filter (~{share:P1} of points): traverse matching nodes only, two hops through the rest",
            SearchStrategy.FilteredGraph => $"~{share:P1} of points match: traverse the graph, admit only matches",
            SearchStrategy.TenantGraph => $"the filter requires a value with a graph of its own ({tenantPoints} points, ~{tenantShare:P0} of them match): search that graph",
            SearchStrategy.ValueLinks => $"the filter requires a value whose {linkedPoints} points are linked among themselves (~{linkedShare:P0} of them match): walk those links",
            _ => $"at least {certainShare:P1} of points match: search unfiltered for ~{k / certainShare:F0} hits, then filter",
        };

        foreach (var key in costs.Keys)
        {
            costs[key] = Math.Round(costs[key] / 1000, 1);
        }

        return (best, reason, costs);
    }
}
