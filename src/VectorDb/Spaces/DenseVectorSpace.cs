using VectorDb.Adaptive;
using VectorDb.Hnsw;
using VectorDb.Query.Planning;
using VectorDb.Points;
using VectorDb.Query;

namespace VectorDb.Spaces;

/// <summary>
/// A dense vector: an HNSW graph over rows of one format, the cost model its filtered searches are planned
/// with (learned from its own searches) and its adaptive-dimension side (prefix walks, PCA rotation).
/// </summary>
/// <remarks>
/// The graph's ids are the point table's nodes; a point without this vector leaves its node empty in the graph. Only
/// the unnamed vector's graph carries payload indexes' reach (value links, tenant graphs), so only its planner may plan
/// filtered walks that follow it.
/// </remarks>
internal sealed class DenseVectorSpace : IVectorSpace
{
    // One unfiltered search in this many reports its work to the planner's cost model.
    private const int CalibrationSampleMask = 63;

    private CollectionOptions _options;
    private readonly QueryPlanner _planner;
    private int _searches;

    /// <param name="collection">The collection's name.</param>
    /// <param name="name">The vector's name (<c>""</c>: the unnamed one).</param>
    /// <param name="options">The vector's settings.</param>
    /// <param name="points">The collection's point table.</param>
    /// <param name="graph">The graph a snapshot saved, or null for a new, empty one.</param>
    /// <param name="rowsFile">Where the rows live when <see cref="CollectionOptions.Memory"/> keeps them on disk; null without a data directory.</param>
    public DenseVectorSpace(string collection, string name, CollectionOptions options, PointTable points, HnswIndex? graph = null, string? rowsFile = null)
    {
        Name = name;
        _options = options;
        Graph = graph ?? new HnswIndex(options.Dimensions, options.Distance, options.ToHnswParameters());
        if (graph is null && options.Memory != MemoryTier.Pinned)
        {
            Graph.KeepRowsInFile(rowsFile ?? throw new InvalidRequestException("Vectors kept on disk need a database opened on a directory."), options.Memory);
        }

        if (Graph.Dimensions != options.Dimensions || Graph.Metric != options.Distance || options.M > Graph.Parameters.M)
        {
            throw new InvalidDataException($"the graph of vector \"{name}\" has {Graph.Dimensions} dimensions, metric {Graph.Metric} and m {Graph.Parameters.M}, not {options.Dimensions}, {options.Distance} and {options.M}");
        }

        Graph.M = options.M; // a snapshot's graph has the links blocks it was created with; m may have been lowered since
        Graph.EfConstruction = options.EfConstruction;
        Graph.Quantize(options.Quantization); // keeps a snapshot's codes when they were fitted with these settings
        _planner = new QueryPlanner(options.Dimensions, 2 * Graph.Parameters.M, usesReach: name.Length == 0)
        {
            FullScanThresholdBytes = options.FullScanThreshold * 1024L,
        };
        Adaptive = new AdaptivePlanner(collection, options, Graph, points);
        Adaptive.KeepPrefixTier();
    }

    public string Name { get; }

    /// <summary>The file the rows are in, when they are kept on disk.</summary>
    public string? RowsFile => Graph.RowsPath;

    /// <summary>The settings of this vector (for a named one, those of its <see cref="DenseVectorOptions"/>).</summary>
    public CollectionOptions Options => _options;

    /// <summary>The graph, which payload indexes link values' points on and checkpoints save.</summary>
    public HnswIndex Graph { get; }

    /// <summary>Prefix walks, their calibration and the PCA rotation.</summary>
    public AdaptivePlanner Adaptive { get; }

    public int Count => Graph.Count;

    /// <summary>Every node the graph holds is below this.</summary>
    public int NodeBound => Graph.AllocatedCount;

    public long MemoryBytes => Graph.MemoryBytes;

    public bool Holds(int node) => Graph.IsLive(node);

    /// <summary>
    /// Builds links from now on with a beam of <paramref name="ef"/> (which searches also take as their default), keeping
    /// <paramref name="m"/> per node (see <see cref="HnswIndex.M"/>), and scans exactly below
    /// <paramref name="fullScanThreshold"/> KB of vectors searched.
    /// </summary>
    public void ChangeConstruction(int ef, int m, int? fullScanThreshold)
    {
        Graph.EfConstruction = ef;
        Graph.M = m;
        _planner.FullScanThresholdBytes = fullScanThreshold * 1024L;
        _options = _options with { EfConstruction = ef, M = m, FullScanThreshold = fullScanThreshold };
    }

    /// <summary>Keeps codes as <paramref name="quantization"/> says from now on (re-encoding every row; searches go on meanwhile).</summary>
    public void ChangeQuantization(QuantizationOptions? quantization)
    {
        Graph.Quantize(quantization);
        _options = _options with { Quantization = quantization };
    }

    /// <summary>Stores a vector on a point's new node and links it into the graph, unpublished; parallel calls take distinct nodes.</summary>
    public void InsertUnpublished(int node, ReadOnlySpan<float> vector)
    {
        Graph.Reserve(node, vector);
        Graph.Link(node, publish: false);
    }

    public void Publish(int node) => Graph.Publish(node);

    public bool Retire(int node) => Graph.Retire(node);

    public void Repair(int node) => Graph.Repair(node);

    /// <summary>A node's vector as the graph stores it (normalised for cosine, rounded for half-width rows).</summary>
    public float[] ReadVector(int node)
    {
        var vector = new float[_options.Dimensions];
        Graph.CopyVector(node, vector);
        return vector;
    }

    /// <summary>Writes the graph for a checkpoint; writers are kept out.</summary>
    public void WriteSnapshot(Stream stream) => Graph.WriteSnapshot(stream);

    /// <summary>
    /// The k nearest live nodes to <paramref name="query"/> that <paramref name="filter"/> accepts (all, when null),
    /// nearest first, planned and run as the space sees best; fills <paramref name="explain"/> when asked to.
    /// </summary>
    public int Search(
        ReadOnlySpan<float> query, int k, SearchOptions options, NodePredicate? filter, IPointSource points, Span<Neighbor> results, out SearchExplain? explain, CancellationToken cancellation)
    {
        int ef = options.Ef ?? _options.EfConstruction;

        // A vector with a prefix tier walks it unless the search asks for something else (its own adaptive settings, or
        // exact) or, unfiltered, the vector is small enough for its full-scan threshold to scan it exactly.
        var tier = options.Adaptive is null && !options.Exact && (filter is not null || !_planner.WithinFullScanThreshold(Graph.Count)) ? _options.PrefixTier : null;
        options = tier is null ? options : options with { Adaptive = tier.Search };
        if (options.Adaptive is not null && options.Quantization != default)
        {
            throw new InvalidRequestException(tier is null
                ? "Quantization search options and adaptive-dimension search cannot be combined: an adaptive search walks a prefix of the stored rows, not the codes."
                : "Quantization search options do not apply to this vector: it keeps no codes, its searches walk its prefix tier.");
        }

        var input = new PlanInput(Graph, query, k, ef, filter, cancellation) { Quantization = options.Quantization };
        if (filter is not null)
        {
            var forced = options.Exact ? SearchStrategy.ExactScan : options.Strategy;
            if (options.Adaptive is not { } filteredAdaptive)
            {
                return PlanRunner.RunFiltered(_planner, input, points, forced, results, options.Explain, out explain);
            }

            int kept = SearchAdaptiveFiltered(query, k, ef, filteredAdaptive, options, forced, filter, points, results, out explain, cancellation);
            explain = Tiered(explain, tier);
            return kept;
        }

        SearchPlan plan = options.Adaptive is { } adaptive ? Adaptive.Plan(adaptive, k, ef, options.Exact)
            : options.Exact ? ExactScanPlan.Asked
            : _planner.FullScanPlan(SearchStrategy.Exact, Graph.Count) ?? (SearchPlan)GraphPlan.Instance;

        // Plain walks report their work to the cost model: those explained, and one in CalibrationSampleMask + 1.
        bool walk = plan is GraphPlan;
        var statistics = options.Explain || (walk && (Interlocked.Increment(ref _searches) & CalibrationSampleMask) == 0) ? new SearchStatistics() : null;
        int found = PlanRunner.Run(plan, input, results, statistics, out var ran);
        if (options.Adaptive is { TargetRecall: not null })
        {
            Adaptive.OfferQuery(query); // only now: a query the search refused would break every calibration made on the sample
        }

        if (walk && statistics is { FellBackToExact: false })
        {
            _planner.Observe(Math.Max(ef, k), statistics.DistanceComputations);
        }

        explain = options.Explain ? PlanRunner.Explain(plan, ran, statistics!, plan is AdaptiveSearchPlan adaptiveWalk ? Math.Max(adaptiveWalk.Ef, k) : ef) : null;
        explain = Tiered(explain, tier);
        return found;
    }

    /// <summary>An explain that says the search walked the vector's prefix tier because it asked for nothing else.</summary>
    private static SearchExplain? Tiered(SearchExplain? explain, PrefixTierOptions? tier) =>
        explain is null || tier is null ? explain
            : explain with { Reason = $"the vector's prefix tier (walk {tier.Dimensions} dimensions kept in RAM, rescore x{tier.Oversampling} from the vectors on disk); {explain.Reason}" };

    /// <summary>
    /// A filtered search comparing a prefix first: the prefix, shortlist and beam given or calibrated for the filter's
    /// band (<see cref="FilterBand"/>), the plan the planner chooses for the filter, run on that prefix.
    /// </summary>
    private int SearchAdaptiveFiltered(
        ReadOnlySpan<float> query, int k, int ef, AdaptiveSearch adaptive, SearchOptions options, SearchStrategy? forced, NodePredicate filter, IPointSource points,
        Span<Neighbor> results, out SearchExplain? explain, CancellationToken cancellation)
    {
        if (adaptive.RescoreDimensions is not null)
        {
            throw new InvalidRequestException("rescore_dims cannot be combined with a filter: a filtered adaptive search rescores with the whole vector.");
        }

        FilterCalibration? calibration = null;
        NeighborhoodProbe? probe = null;
        if (adaptive.TargetRecall is not null)
        {
            var estimation = new EstimationContext(points);
            var estimate = filter.Estimate(estimation);
            if (estimate.Max == 0 || estimation.Total == 0)
            {
                // Nothing to calibrate for: the planner answers that no point matches.
                return PlanRunner.RunFiltered(_planner, new PlanInput(Graph, query, k, ef, filter, cancellation), points, forced, results, options.Explain, out explain);
            }

            // Where the matches lie around the query: a probe, whose entry a walk then starts from. Filters this
            // selective are scanned rather than walked, where it does not matter.
            double share = estimate.Expected / (double)estimation.Total;
            double around = share;
            if (share >= FilterBand.ProbedShare)
            {
                around = Graph.NeighborhoodShare(query, new PredicateFilter(filter), Adaptive.ProbeDimensions(), out var entry);
                probe = new NeighborhoodProbe(Around: around, Entry: entry); // the planner's own probe would find the same
            }

            calibration = new FilterCalibration(FilterBand.Of(share, around), share, FilterCalibration.Fingerprint(filter, Graph), forced,
                new FilteredCalibrationSearch(_planner, Graph, filter, points, forced, cancellation));
        }

        var adaptivePlan = Adaptive.Plan(adaptive, k, ef, options.Exact, calibration);
        var input = new PlanInput(Graph, query, k, adaptivePlan.Ef, filter, cancellation);
        int found = PlanRunner.RunFiltered(_planner, input, points, forced, results, options.Explain, out var planned, adaptivePlan.Prefix, probe);
        explain = planned is not null && adaptivePlan.Note is { } note ? planned with { Reason = $"{note}; {planned.Reason}" } : planned;
        return found;
    }

    public void Dispose() => Graph.Dispose();
}
