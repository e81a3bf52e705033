using VectorDb.Hnsw;

namespace VectorDb;

/// <summary>How a collection is created. Immutable once the collection exists.</summary>
public sealed record CollectionOptions
{
    /// <summary>Largest vector dimension accepted.</summary>
    public const int MaxDimensions = 65536;

    /// <summary>
    /// Dimension of the collection's unnamed vector (Qdrant's vector <c>""</c>), 1..<see cref="MaxDimensions"/>; 0 for a
    /// collection without one, whose points hold only <see cref="NamedVectors"/> and <see cref="SparseVectors"/>. Required.
    /// The settings below (<see cref="Distance"/> to <see cref="Pca"/>) are the unnamed vector's.
    /// </summary>
    /// <remarks>
    /// In a collection with an unnamed vector every point has it; named and sparse vectors may be missing from a point.
    /// Payload indexes link values' points (<see cref="PayloadLinks"/>) and tenant indexes build graphs on the unnamed
    /// vector's graph, so a collection without one has neither (its filtered searches use the other strategies).
    /// </remarks>
    public required int Dimensions { get; init; }

    /// <summary>Named dense vectors, each with its own graph (Qdrant's <c>vectors: {"name": {...}}</c>). Null: none.</summary>
    public IReadOnlyDictionary<string, DenseVectorOptions>? NamedVectors { get; init; }

    /// <summary>Sparse vectors, each with its own inverted index (Qdrant's <c>sparse_vectors</c>). Null: none.</summary>
    public IReadOnlyDictionary<string, SparseVectorOptions>? SparseVectors { get; init; }

    /// <summary>True when the collection has an unnamed vector (<see cref="Dimensions"/> &gt; 0).</summary>
    public bool HasUnnamedVector => Dimensions > 0;

    /// <summary>Distance metric. Default cosine, as in most embedding models.</summary>
    public DistanceMetric Distance { get; init; } = DistanceMetric.Cosine;

    /// <summary>HNSW links per node (layer 0 keeps 2·M). Default 16.</summary>
    public int M { get; init; } = 16;

    /// <summary>HNSW beam width while building. Default 100.</summary>
    public int EfConstruction { get; init; } = 100;

    /// <summary>
    /// Qdrant's <c>full_scan_threshold</c>, in KB of float32 vectors, for the unnamed vector: a search whose vectors (the
    /// collection's, or a filter's estimated matches') are within it scans them exactly instead of walking the graph.
    /// Null (the default): the query planner's cost model chooses (docs/planner.md).
    /// </summary>
    public int? FullScanThreshold { get; init; }

    /// <summary>
    /// Whether keyword and uuid payload indexes link the points of each value held by 1,000 points or more among
    /// themselves (Qdrant's payload-aware links; REST <c>hnsw_config.payload_m</c>, where 0 turns them off). A filter
    /// requiring one such value then walks a graph of that value's points, which finds them wherever they lie
    /// relative to the query (docs/planner.md, "Value links"). The price: 4·(2M+1) bytes per point for each such index,
    /// and inserts of points holding such a value link them twice (fashion-mnist with its label indexed builds 1.5×
    /// slower). Default true.
    /// </summary>
    public bool PayloadLinks { get; init; } = true;

    /// <summary>
    /// How the graph stores vectors. Default <see cref="VectorDataType.Float32"/>. A half-width type halves the index's
    /// vector memory and speeds searches up (they are memory-bound) at the price of rounding: scores, and vectors
    /// returned with results, come from the rounded rows (as in Qdrant). The log keeps every vector as given.
    /// See docs/benchmarks.md.
    /// </summary>
    public VectorDataType DataType { get; init; } = VectorDataType.Float32;

    /// <summary>
    /// Compressed codes the graph keeps beside its rows (Qdrant's <c>quantization_config</c>): searches walk the codes
    /// and rescore their best candidates with the rows (<see cref="SearchOptions.Quantization"/>). Also the default of
    /// every named dense vector that sets none of its own (a collection with multivectors takes none: they cannot be quantized). Null: none.
    /// </summary>
    public QuantizationOptions? Quantization { get; init; }

    /// <summary>
    /// Where the unnamed vector's stored rows live (Qdrant's <c>memory</c>, or <c>on_disk</c>): in process memory (the
    /// default), or in a memory-mapped file under the data directory that the OS pages in and out. With
    /// <see cref="Quantization"/> a search reads rows only to rescore its candidates, so a collection's vectors can
    /// exceed RAM. Needs a database opened on a directory.
    /// </summary>
    public MemoryTier Memory { get; init; }

    /// <summary>
    /// For Matryoshka embeddings (OpenAI text-embedding-3, nomic-embed v1.5, …), whose leading dimensions are
    /// themselves an embedding: the prefix lengths the model was trained for, e.g. [64, 128, 256, 768]. Adaptive
    /// searches then walk the graph on one of these prefixes (<see cref="AdaptiveSearch.SearchDimensions"/> must be
    /// one of them, or the whole vector) and calibration chooses among them. Null: any prefix is allowed.
    /// </summary>
    public IReadOnlyList<int>? Matryoshka { get; init; }

    /// <summary>
    /// For embeddings that are not Matryoshka-trained: learn a PCA rotation so that adaptive searches walk the graph
    /// on the leading principal components. Needs a rotation-invariant metric (not Manhattan). See <see cref="PcaOptions"/>.
    /// </summary>
    public PcaOptions? Pca { get; init; }

    /// <summary>
    /// Keeps a prefix of each vector in RAM as the tier searches walk, with the vectors themselves on disk
    /// (<see cref="Memory"/> Cached or Cold) for rescoring; null for none. See <see cref="PrefixTierOptions"/>.
    /// </summary>
    public PrefixTierOptions? PrefixTier { get; init; }

    /// <summary>
    /// Any JSON object the application keeps with the collection (Qdrant's collection <c>metadata</c>): stored, persisted
    /// and returned with the collection's description, never interpreted. Null: none.
    /// </summary>
    public Payload? Metadata { get; init; }

    /// <summary>Limits the REST server holds requests to (Qdrant's <c>strict_mode_config</c>); null: none.</summary>
    public StrictModeOptions? StrictMode { get; init; }

    /// <summary>Throws <see cref="InvalidRequestException"/> when an option is out of range.</summary>
    public void Validate()
    {
        StrictMode?.Validate();
        ValidateQuantization(Quantization, Distance);
        if (!Enum.IsDefined(Memory))
        {
            throw new InvalidRequestException($"Unknown memory tier {Memory}.");
        }
        if (LinkCapacity < M)
        {
            throw new InvalidRequestException($"The link capacity ({LinkCapacity}) cannot be below m ({M}).");
        }

        if (FullScanThreshold is < 0)
        {
            throw new InvalidRequestException($"full_scan_threshold must not be negative, got {FullScanThreshold}.");
        }

        foreach (string name in StrictMode?.MultivectorMaxVectors?.Keys ?? [])
        {
            if (NamedVectors?.GetValueOrDefault(name) is not { Multivector: not null })
            {
                throw new InvalidRequestException($"strict_mode_config.multivector_config names `{name}`, which is not a multivector of the collection.");
            }
        }

        foreach (string name in StrictMode?.SparseMaxLength?.Keys ?? [])
        {
            if (SparseVectors?.ContainsKey(name) != true)
            {
                throw new InvalidRequestException($"strict_mode_config.sparse_config names `{name}`, which is not a sparse vector of the collection.");
            }
        }

        foreach (var (name, vector) in NamedVectors ?? new Dictionary<string, DenseVectorOptions>())
        {
            VectorNames.Validate(name);
            (vector ?? throw new InvalidRequestException($"Vector `{name}` has no settings.")).Validate(name);
            if (vector.Multivector is not null && Quantization is not null)
            {
                throw new InvalidRequestException($"quantization_config is the default of every dense vector, and multivector `{name}` cannot be quantized: give quantization per named vector instead.");
            }

            if (vector.Quantization is null && vector.Multivector is null)
            {
                ValidateQuantization(Quantization, vector.Distance); // the collection's, which it takes
            }
        }

        foreach (var (name, sparse) in SparseVectors ?? new Dictionary<string, SparseVectorOptions>())
        {
            VectorNames.Validate(name);
            if (sparse is null)
            {
                throw new InvalidRequestException($"Sparse vector `{name}` has no settings.");
            }

            if (NamedVectors?.ContainsKey(name) == true)
            {
                throw new InvalidRequestException($"`{name}` names both a dense and a sparse vector.");
            }
        }

        if (Dimensions == 0)
        {
            if (Matryoshka is not null || Pca is not null || PrefixTier is not null)
            {
                throw new InvalidRequestException("matryoshka, pca and prefix_tier are settings of the unnamed vector, which a collection of dimension 0 does not have.");
            }

            return;
        }

        if (Dimensions is < 1 or > MaxDimensions)
        {
            throw new InvalidRequestException($"Vector dimension must be between 1 and {MaxDimensions}, got {Dimensions}.");
        }

        if (!Enum.IsDefined(Distance))
        {
            throw new InvalidRequestException($"Unknown distance metric {Distance}.");
        }

        ToHnswParameters().Validate();
        if (Matryoshka is { } prefixes)
        {
            if (prefixes.Count == 0 || prefixes.Any(d => d < 1 || d > Dimensions) || prefixes.Zip(prefixes.Skip(1)).Any(pair => pair.First >= pair.Second))
            {
                throw new InvalidRequestException($"matryoshka must list increasing prefix lengths between 1 and {Dimensions}, got [{string.Join(", ", prefixes)}].");
            }
        }

        PrefixTier?.Validate(this);
        if (Pca is { } pca)
        {
            if (Matryoshka is not null)
            {
                throw new InvalidRequestException("A collection is either Matryoshka (its prefixes are already meaningful) or PCA-rotated, not both.");
            }

            if (Distance == DistanceMetric.Manhattan)
            {
                throw new InvalidRequestException("PCA rotation needs a metric that rotations preserve (Cosine, Dot or Euclid), not Manhattan.");
            }

            pca.Validate(Dimensions);
        }
    }

    /// <summary>The principal axes a PCA-rotated collection keeps (<see cref="PcaOptions.Dimensions"/>, or its default); null without PCA.</summary>
    public int? PcaDimensions => Pca is null ? null : Pca.Dimensions ?? PcaOptions.DefaultDimensions(Dimensions);

    /// <summary>Refuses quantization settings out of range, or of a kind the graph cannot build for the metric.</summary>
    internal static void ValidateQuantization(QuantizationOptions? quantization, DistanceMetric metric)
    {
        switch (quantization)
        {
            case null:
                return;
            case BinaryQuantizationOptions when metric == DistanceMetric.Manhattan:
                throw new InvalidRequestException("Binary quantization estimates dot products: use it with Cosine, Dot or Euclid, and scalar quantization with Manhattan.");
            case ScalarQuantizationOptions or BinaryQuantizationOptions:
                quantization.Validate();
                return;
            default:
                throw new InvalidRequestException($"Quantization {quantization.GetType().Name} is not supported.");
        }
    }

    /// <summary>True when some dense vector keeps its rows in a file (which needs a data directory).</summary>
    internal bool KeepsRowsInFiles => (HasUnnamedVector && Memory != MemoryTier.Pinned) || (NamedVectors?.Values.Any(v => v.Memory != MemoryTier.Pinned) ?? false);

    internal HnswParameters ToHnswParameters() => new() { M = LinkCapacity ?? M, EfConstruction = EfConstruction, DataType = DataType };

    /// <summary>
    /// The m the unnamed vector's link blocks are sized for, when it exceeds <see cref="M"/> (null: M): room to raise m
    /// later without a rebuild. Lowering m (<see cref="Collection.UpdateSettings"/>) sets it to the m the graph was
    /// created with, so that a graph built again (recovery) keeps that room.
    /// </summary>
    public int? LinkCapacity { get; init; }
}

/// <summary>
/// How a collection learns its PCA rotation for adaptive-dimension search. The rotation is fitted on a sample of the
/// collection's vectors once it holds <see cref="FitAtPoints"/> points, or on request (<c>Collection.FitRotation</c>);
/// stored vectors and full-dimension scores stay exactly as they are: the graph keeps each vector's coordinates along
/// the leading axes beside it, and adaptive searches walk those. See docs/adaptive.md.
/// </summary>
public sealed record PcaOptions
{
    /// <summary>Longest vectors a PCA rotation is fitted for: the eigen-decomposition is cubic in the dimension (2,048: tens of seconds).</summary>
    public const int MaxVectorDimensions = 2048;

    /// <summary>Largest number of axes a collection may keep: the rotation is logged, and log entries stay under 2 MB.</summary>
    public const int MaxAxisValues = 1 << 19;

    /// <summary>Leading axes kept per point, the longest prefix an adaptive search can walk. Null: the largest power of
    /// two up to a quarter of the dimension (128 for 784 dimensions), within <see cref="MaxAxisValues"/>.</summary>
    public int? Dimensions { get; init; }

    /// <summary>Fit automatically once the collection holds this many points; 0 fits only on request. Default 10,000.</summary>
    public int FitAtPoints { get; init; } = 10_000;

    /// <summary>Points sampled (evenly) for the fit. Default 10,000.</summary>
    public int SamplePoints { get; init; } = 10_000;

    internal static int DefaultDimensions(int dimensions)
    {
        int limit = Math.Max(1, Math.Min(dimensions / 4, MaxAxisValues / dimensions));
        return 1 << (31 - int.LeadingZeroCount(limit));
    }

    internal void Validate(int vectorDimensions)
    {
        if (vectorDimensions > MaxVectorDimensions)
        {
            throw new InvalidRequestException($"PCA rotation supports vectors of up to {MaxVectorDimensions} dimensions (its fit is cubic in the dimension), got {vectorDimensions}.");
        }

        int limit = Math.Min(vectorDimensions, MaxAxisValues / vectorDimensions);
        if (Dimensions is int dims && (dims < 1 || dims > limit))
        {
            throw new InvalidRequestException($"pca dims must be between 1 and {limit} for {vectorDimensions}-dimensional vectors, got {dims}.");
        }

        if (FitAtPoints is < 0 or > 100_000_000)
        {
            throw new InvalidRequestException($"pca fit_at must be between 0 (on request only) and 100000000, got {FitAtPoints}.");
        }

        if (SamplePoints is < 2 or > 1_000_000)
        {
            throw new InvalidRequestException($"pca sample must be between 2 and 1000000, got {SamplePoints}.");
        }
    }
}

/// <summary>Per-query search options.</summary>
public sealed record SearchOptions
{
    /// <summary>Default options: approximate search with the collection's default beam width.</summary>
    public static SearchOptions Default { get; } = new();

    /// <summary>Beam width of the graph search; higher is more accurate and slower. Null means the
    /// collection's <see cref="CollectionOptions.EfConstruction"/>, as in Qdrant. Raised to k if smaller.</summary>
    public int? Ef { get; init; }

    /// <summary>Which vector to search: <c>""</c> (the default) for the unnamed one, else a named dense or sparse vector.</summary>
    public string Using { get; init; } = "";

    /// <summary>Scan every vector instead of using the graph: exact results, linear cost.</summary>
    public bool Exact { get; init; }

    /// <summary>Include payloads in the hits.</summary>
    public bool WithPayload { get; init; }

    /// <summary>Include stored vectors (all of the point's) in the hits.</summary>
    public bool WithVector { get; init; }

    /// <summary>
    /// Only points matching this filter are returned; the result still has min(k, matching points) hits.
    /// </summary>
    public Query.Filter? Filter { get; init; }

    /// <summary>Return what the planner estimated and chose, and the work done, in <see cref="SearchResults.Explain"/>.</summary>
    public bool Explain { get; init; }

    /// <summary>
    /// Overrides the planner's choice for a filtered search (for experiments and benchmarks); null lets it
    /// choose. Whatever runs, a graph strategy that finds fewer than k matches is completed by an exact scan.
    /// </summary>
    public Query.SearchStrategy? Strategy { get; init; }

    /// <summary>
    /// Points left out of the hits, which still number min(k, other matching points): a search by a point's own vector
    /// leaves that point out (as Qdrant's query by id does). The search looks for as many more as it leaves out.
    /// </summary>
    public IReadOnlySet<PointId>? Excluded { get; init; }

    /// <summary>
    /// Adaptive-dimension search (AdANNS): walk the graph comparing only a prefix of each vector, then rescore
    /// a shortlist with the whole vector. For Matryoshka embeddings and PCA-rotated vectors, whose leading
    /// dimensions carry most of the signal; see docs/adaptive.md. With a filter the planner's plan compares the prefix
    /// first (a scan of the matches, a filtered or two-hop walk, a post-filtered search); not combined with exact search.
    /// </summary>
    public AdaptiveSearch? Adaptive { get; init; }

    /// <summary>
    /// How a search of a quantized vector uses its codes (Qdrant's <c>params.quantization</c>): walk them (the default)
    /// or the rows, rescore or not, how many candidates to rescore. On a vector without quantization the walk reads
    /// the rows and its scores are exact, which is what rescoring gives.
    /// </summary>
    public QuantizationSearch Quantization { get; init; }
}

/// <summary>How an adaptive-dimension search walks and rescores: give <see cref="SearchDimensions"/> (and
/// <see cref="Oversampling"/>), or <see cref="TargetRecall"/> to let the collection choose.</summary>
public sealed record AdaptiveSearch
{
    /// <summary>Leading dimensions the graph walk compares (1..the collection's dimension).</summary>
    public int? SearchDimensions { get; init; }

    /// <summary>Shortlist size as a multiple of k (1..100): the best nodes the walk saw by prefix distance, rescored with the whole vector. Independent of the beam width (ef).</summary>
    public int Oversampling { get; init; } = 4;

    /// <summary>
    /// Leading dimensions of the stored vectors the shortlist is rescored with, from <see cref="SearchDimensions"/> up
    /// to the whole vector (null, the default): a longer Matryoshka prefix, cheaper than the whole vector. Scores are
    /// then distances over that prefix. Only with <see cref="SearchDimensions"/>; not on a PCA collection.
    /// </summary>
    public int? RescoreDimensions { get; init; }

    /// <summary>
    /// Recall@k to reach (0..1]: the collection picks the prefix, oversampling and beam width that reach it at the
    /// lowest measured cost, by calibrating on a sample of its own points against exact results, and again on a sample
    /// of the target-recall queries it served once it has served 200. The choice is cached per (target, k) and made
    /// again when the collection has doubled or halved since.
    /// </summary>
    public double? TargetRecall { get; init; }
}

/// <summary>A fitted PCA rotation.</summary>
/// <param name="Dimensions">Leading principal axes kept: the longest prefix adaptive searches can walk.</param>
/// <param name="ExplainedVariance">Share of the sample's variance (second moment, for dot and cosine) those axes carry, 0..1.</param>
/// <param name="SamplePoints">Points the fit used (known right after a fit, null after a restart).</param>
public sealed record RotationInfo(int Dimensions, double ExplainedVariance, int? SamplePoints);
