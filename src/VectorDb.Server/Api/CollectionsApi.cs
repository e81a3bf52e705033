using System.Text.Json;
using VectorDb.Server.Api.Validation;

namespace VectorDb.Server.Api;

/// <summary>Request body of <c>PUT /collections/{name}</c>.</summary>
/// <remarks><c>matryoshka</c>, <c>pca</c> and <c>prefix_tier</c> are ours (adaptive-dimension search); Qdrant clients never send them.</remarks>
[Refused("wal_config", "the database has one write-ahead log for all collections, with fixed segments")]
[Refused("optimizers_config", "points are indexed as they are written; there are no segments to optimise")]
internal sealed record CreateCollectionRequest(
    [property: ReadAs(typeof(VectorParams))] JsonElement? Vectors, HnswConfig? HnswConfig, int[]? Matryoshka = null, PcaParams? Pca = null, PrefixTierParams? PrefixTier = null) : RequestBody
{
    internal const string UnnamedMultivector = "the unnamed vector holds one vector per point; give a multivector a name";
    private const string SingleNode = "this server is a single node: one shard, one replica";

    [Only(SingleNode, 1)]
    public int? ShardNumber { get; init; }

    [Only(SingleNode, "auto")]
    public string? ShardingMethod { get; init; }

    [Only(SingleNode, 1)]
    public int? ReplicationFactor { get; init; }

    [Only(SingleNode, 1)]
    public int? WriteConsistencyFactor { get; init; }

    [Only("payloads are kept in memory (and persisted)", false)]
    public bool? OnDiskPayload { get; init; }

    /// <summary>Qdrant 1.19's payload storage tier; Qdrant's .NET client sends it with every creation.</summary>
    public PayloadStorageParams? Payload { get; init; }

    /// <summary>Any JSON object, kept with the collection and returned by <c>GET /collections/{name}</c>.</summary>
    public JsonElement? Metadata { get; init; }

    /// <summary>Sparse vectors: a map of names to <see cref="SparseVectorParams"/>, each read and validated by the handler.</summary>
    public JsonElement? SparseVectors { get; init; }

    /// <summary>Limits the server holds requests to the collection to.</summary>
    public StrictModeConfig? StrictModeConfig { get; init; }

    /// <summary>Codes every dense vector keeps unless it sets its own.</summary>
    public QuantizationConfig? QuantizationConfig { get; init; }
}

/// <summary>
/// Where payloads live. Payloads here are always in memory (and persisted): Qdrant's <c>cached</c> (its in-memory
/// payloads, what its .NET client asks for unless told <c>onDiskPayload</c>) and <c>pinned</c> are met; <c>cold</c>
/// (read from disk) is not.
/// </summary>
internal sealed record PayloadStorageParams : RequestBody
{
    [Only("payloads are kept in memory (and persisted)", "cached", "pinned")]
    public string? Memory { get; init; }
}

/// <summary>A sparse vector's parameters: <c>modifier</c> (<c>idf</c> or <c>none</c>) and its index's.</summary>
internal sealed record SparseVectorParams(SparseIndexParams? Index, string? Modifier) : RequestBody
{
    public SparseVectorOptions ToOptions(string path) => new()
    {
        Idf = Modifier switch
        {
            null or "none" => false,
            "idf" => true,
            _ => throw new InvalidRequestException($"Unknown `{path}.modifier` \"{Modifier}\": use idf or none."),
        },
    };
}

/// <summary>A sparse vector's index parameters: only what an inverted index in memory, searched exactly, means.</summary>
[Refused("full_scan_threshold", "a sparse search reads the query terms' postings, checking filters on the points it meets; there is no separate full scan")]
internal sealed record SparseIndexParams : RequestBody
{
    [Only("the inverted index is kept in memory", false)]
    public bool? OnDisk { get; init; }

    [Only("sparse vectors are stored as float32", "float32")]
    public string? Datatype { get; init; }
}

/// <summary>Body of <c>PUT /collections/{name}/vectors/{vector}</c> (Qdrant 1.18): the new vector's parameters, dense or sparse.</summary>
internal sealed record CreateVectorRequest(DenseVectorConfig? Dense, SparseVectorConfig? Sparse) : RequestBody;

/// <summary>A new named dense vector (or multivector): what defines its space. Its graph takes the collection's <c>hnsw_config</c>.</summary>
internal sealed record DenseVectorConfig(int Size, string Distance, string? Datatype = null, MultivectorConfig? MultivectorConfig = null) : RequestBody;

/// <summary>Qdrant's <c>multivector_config</c>: each point holds several vectors under the name, compared by MaxSim.</summary>
internal sealed record MultivectorConfig(string? Comparator) : RequestBody
{
    public MultivectorComparator ToComparator(string path) => Comparator switch
    {
        "max_sim" => MultivectorComparator.MaxSim,
        _ => throw new InvalidRequestException($"Unknown `{path}.comparator` \"{Comparator}\": use max_sim."),
    };
}

/// <summary>A new sparse vector: its <c>modifier</c>; weights are stored as float32.</summary>
internal sealed record SparseVectorConfig(string? Modifier) : RequestBody
{
    [Only("sparse vectors are stored as float32", "float32")]
    public string? Datatype { get; init; }
}

/// <summary>
/// Request body of <c>PATCH /collections/{name}</c>: <c>hnsw_config.ef_construct</c> (new links), <c>metadata</c> (merged)
/// and <c>strict_mode_config</c> (merged) change; the rest is refused.
/// </summary>
[Refused("vectors", "per-vector settings cannot be changed yet; `hnsw_config` changes the unnamed vector's")]
[Refused("optimizers_config", "points are indexed as they are written; there are no segments to optimise")]
[Refused("params", "the collection's storage parameters (shards, replicas, on-disk payloads) are fixed on this single node")]
[Refused("sparse_vectors", "sparse vectors' settings cannot be changed yet")]
internal sealed record UpdateCollectionRequest(HnswConfig? HnswConfig, JsonElement? Metadata, StrictModeConfig? StrictModeConfig) : RequestBody
{
    /// <summary>The collection's quantization from now on: as at creation, or <c>"Disabled"</c>.</summary>
    [ReadAs(typeof(QuantizationConfig))]
    public JsonElement? QuantizationConfig { get; init; }
}

/// <summary>The <c>pca</c> option: kept axes, the size that triggers the fit (0: on request only), the sample size.</summary>
internal sealed record PcaParams(int? Dims, int? FitAt, int? Sample) : RequestBody;

/// <summary>The <c>prefix_tier</c> option (ours): the prefix kept in RAM and walked, and the shortlist's oversampling.</summary>
internal sealed record PrefixTierParams(int Dims, int? Oversampling) : RequestBody
{
    public PrefixTierOptions ToOptions() => new() { Dimensions = Dims, Oversampling = Oversampling ?? new PrefixTierOptions { Dimensions = Dims }.Oversampling };
}

/// <summary>Qdrant's vector parameters; <c>datatype</c> takes Qdrant's <c>float32</c> and <c>float16</c>, and <c>bfloat16</c> (ours, as Milvus's).</summary>
/// <remarks>
/// <c>hnsw_config</c> here sets this vector's graph, overriding the collection's <c>m</c> and <c>ef_construct</c>;
/// <c>matryoshka</c> (ours) lists a named vector's Matryoshka prefixes for adaptive search with <c>using</c>, and
/// <c>prefix_tier</c> (ours) its prefix kept in RAM (the unnamed vector's are the collection's top-level ones).
/// </remarks>
internal sealed record VectorParams(int Size, string Distance, string? Datatype = null, MultivectorConfig? MultivectorConfig = null, HnswConfig? HnswConfig = null) : RequestBody
{
    public int[]? Matryoshka { get; init; }

    /// <summary>A named vector's prefix kept in RAM as the tier its searches walk (ours; the unnamed vector's is the top-level <c>prefix_tier</c>).</summary>
    public PrefixTierParams? PrefixTier { get; init; }

    /// <summary>This vector's codes, overriding the collection's.</summary>
    public QuantizationConfig? QuantizationConfig { get; init; }

    /// <summary>Qdrant's older switch for rows on disk: true is <c>memory: cached</c> (or <c>cold</c>, if given too), false <c>pinned</c>.</summary>
    public bool? OnDisk { get; init; }

    /// <summary>Qdrant 1.19's tier of the rows: <c>pinned</c> (in memory, the default), <c>cached</c> or <c>cold</c> (a memory-mapped file).</summary>
    public string? Memory { get; init; }

    /// <summary>Where the rows live, from <c>memory</c> and <c>on_disk</c>, which must agree.</summary>
    public MemoryTier ToMemoryTier(string path)
    {
        MemoryTier? tier = Memory switch
        {
            null => null,
            "pinned" => MemoryTier.Pinned,
            "cached" => MemoryTier.Cached,
            "cold" => MemoryTier.Cold,
            _ => throw new InvalidRequestException($"Unknown `{path}.memory` \"{Memory}\": use pinned, cached or cold."),
        };
        if (tier is { } given && OnDisk is { } onDisk && onDisk != (given != MemoryTier.Pinned))
        {
            throw new InvalidRequestException($"`{path}.memory` \"{Memory}\" and `{path}.on_disk` {(onDisk ? "true" : "false")} disagree.");
        }

        return tier ?? (OnDisk == true ? MemoryTier.Cached : MemoryTier.Pinned);
    }
}

/// <summary><c>payload_m</c>: Qdrant's count of payload-aware links per node; ours are always 2·M per value, so only 0
/// (none) or <c>m</c> (the default) are accepted.</summary>
[Refused("memory", "the graph is kept in memory")]
internal sealed record HnswConfig(int? M, int? EfConstruct, int? PayloadM = null) : RequestBody
{
    /// <summary>KB of vectors within which a search scans exactly (the unnamed vector's; named vectors refuse it).</summary>
    public int? FullScanThreshold { get; init; }

    [Only("inserts use every core (0, the default)", 0)]
    public int? MaxIndexingThreads { get; init; }

    [Only("the graph is kept in memory", false)]
    public bool? OnDisk { get; init; }

    [Only("vectors are not stored inside the graph's link blocks", false)]
    public bool? InlineStorage { get; init; }
}

/// <summary><c>/collections</c>: list, create, inspect, delete, exists.</summary>
internal static class CollectionsApi
{
    public static RouteGroupBuilder MapCollectionsApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/collections").WithTags("Collections").AddEndpointFilter<RequestValidationFilter>();
        group.MapGet("/", (VectorDatabase db) =>
            Qdrant.Ok(new CollectionsResponse([.. db.ListCollections().Select(name => new CollectionDescription(name))])));
        group.MapPut("/{name}", async (string name, CreateCollectionRequest request, VectorDatabase db, ServerOptions limits) =>
        {
            await db.CreateCollectionAsync(name, ToOptions(request, limits));
            return Qdrant.Ok(true);
        }).WithMetadata(QueryParameters.CollectionWrite);
        group.MapGet("/{name}", (string name, VectorDatabase db) => Qdrant.Ok(Describe(db.GetCollection(name))));
        group.MapPatch("/{name}", (string name, UpdateCollectionRequest request, VectorDatabase db, StrictMode strict) =>
        {
            Update(db.GetCollection(name), request, strict);
            return Qdrant.Ok(true);
        }).WithMetadata(QueryParameters.CollectionWrite);
        group.MapGet("/{name}/exists", (string name, VectorDatabase db) => Qdrant.Ok(new CollectionExistence(db.CollectionExists(name))));
        group.MapGet("/{name}/adaptive", (string name, VectorDatabase db) => Qdrant.Ok(DescribeAdaptive(db.GetCollection(name))))
            .WithSummary("Adaptive-dimension settings of a collection (ours): Matryoshka prefixes, PCA options and the fitted rotation");
        group.MapPost("/{name}/adaptive/pca", (string name, HttpContext context, VectorDatabase db) =>
        {
            var fitted = db.GetCollection(name).FitRotation(RequestParsing.Wait(context));
            return Qdrant.Ok(new PcaFitResponse(fitted.Dimensions, fitted.ExplainedVariance, fitted.SamplePoints));
        }).WithMetadata(QueryParameters.Wait).WithSummary("Fit the PCA rotation of a collection created with `pca` now (ours), replacing an earlier fit");
        group.MapDelete("/{name}", async (string name, VectorDatabase db) => Qdrant.Ok(await db.DeleteCollectionAsync(name)))
            .WithMetadata(QueryParameters.CollectionWrite);
        group.MapPut("/{name}/vectors/{vector}", (string name, string vector, CreateVectorRequest request, HttpContext context, VectorDatabase db, ServerOptions limits, StrictMode strict) =>
        {
            var collection = db.GetCollection(name);
            strict.Write(collection);
            bool wait = RequestParsing.Wait(context);
            switch (request)
            {
                case { Dense: { } dense, Sparse: null }:
                    ServerOptions.Check("Vector size", dense.Size, limits.MaxDimensions, nameof(limits.MaxDimensions));
                    collection.CreateVector(vector, ToDenseOptions(new VectorParams(dense.Size, dense.Distance, dense.Datatype, dense.MultivectorConfig), collection.Options.M, collection.Options.EfConstruction, "dense"), wait);
                    break;
                case { Dense: null, Sparse: { } sparse }:
                    collection.CreateVector(vector, new SparseVectorParams(null, sparse.Modifier).ToOptions("sparse"), wait);
                    break;
                default:
                    throw new InvalidRequestException("Send `dense` (size, distance, datatype) or `sparse` (modifier), not both.");
            }

            return Qdrant.Updated(wait);
        }).WithMetadata(QueryParameters.Write).WithSummary("Add a named dense or sparse vector to an existing collection");
        group.MapDelete("/{name}/vectors/{vector}", (string name, string vector, HttpContext context, VectorDatabase db, StrictMode strict) =>
        {
            bool wait = RequestParsing.Wait(context);
            var collection = db.GetCollection(name);
            strict.Write(collection);
            if (!collection.DeleteVector(vector, wait))
            {
                throw new NotFoundException($"Not existing vector name error: {vector}");
            }

            return Qdrant.Updated(wait);
        }).WithMetadata(QueryParameters.Write).WithSummary("Remove a named vector, and every point's vector of that name, from a collection");
        return group;
    }

    /// <summary>Applies a PATCH: new links' <c>ef_construct</c>, metadata and strict mode merged, quantization replaced or removed.</summary>
    internal static void Update(Collection collection, UpdateCollectionRequest request, StrictMode strict)
    {
        strict.Write(collection);
        collection.UpdateSettings(new CollectionSettingsChange
        {
            EfConstruction = HnswChange(request.HnswConfig, collection.Options),
            M = request.HnswConfig?.M,
            FullScanThreshold = request.HnswConfig?.FullScanThreshold,
            Metadata = request.Metadata is { ValueKind: not JsonValueKind.Null } metadata ? RequestParsing.Payload(metadata, "metadata") : null,
            StrictMode = request.StrictModeConfig?.ToOptions(),
            Quantization = QuantizationConfig.ReadChange(request.QuantizationConfig, "quantization_config", out bool disable),
            DisableQuantization = disable,
        });
    }

    /// <summary>A new collection's options from its creation request, held to the server's limits.</summary>
    internal static CollectionOptions ToOptions(CreateCollectionRequest request, ServerOptions limits)
    {
        var (unnamed, named) = ParseVectors(request.Vectors);
        foreach (var vector in named.Values.Prepend(unnamed).OfType<VectorParams>())
        {
            ServerOptions.Check("Vector size", vector.Size, limits.MaxDimensions, nameof(limits.MaxDimensions));
            if (vector.Size < 1)
            {
                throw new InvalidRequestException($"Vector dimension must be between 1 and {CollectionOptions.MaxDimensions}, got {vector.Size}.");
            }
        }

        if (unnamed?.Matryoshka is not null || unnamed?.PrefixTier is not null)
        {
            throw new InvalidRequestException(unnamed.Matryoshka is not null
                ? "The unnamed vector's Matryoshka prefixes are the collection's top-level `matryoshka`, not `vectors.matryoshka`."
                : "The unnamed vector's prefix tier is the collection's top-level `prefix_tier`, not `vectors.prefix_tier`.");
        }

        if (unnamed?.QuantizationConfig is not null && (request.QuantizationConfig is not null || named.Count > 0))
        {
            throw new InvalidRequestException(request.QuantizationConfig is not null
                ? "Give `quantization_config` once: at the top level or in `vectors`, not both."
                : "With named vectors, the unnamed vector's quantization is the collection's top-level `quantization_config` (also every named vector's default); `vectors.\"\".quantization_config` is not supported.");
        }

        if (unnamed?.MultivectorConfig is not null)
        {
            throw new InvalidRequestException($"`vectors.multivector_config` is not supported yet: {CreateCollectionRequest.UnnamedMultivector}.");
        }

        if (unnamed is null && (request.Matryoshka is not null || request.Pca is not null || request.PrefixTier is not null))
        {
            throw new InvalidRequestException("`matryoshka`, `pca` and `prefix_tier` are settings of the collection's unnamed vector, which it does not have.");
        }

        int m = request.HnswConfig?.M ?? 16;
        int ef = request.HnswConfig?.EfConstruct ?? 100;
        var unnamedGraph = unnamed is null ? null : ToDenseOptions(unnamed, m, ef, "vectors");
        return new CollectionOptions
        {
            Dimensions = unnamed?.Size ?? 0,
            Distance = unnamed is null ? DistanceMetric.Cosine : ParseDistance(unnamed.Distance),
            DataType = ParseDataType(unnamed?.Datatype),
            M = unnamedGraph?.M ?? m,
            EfConstruction = unnamedGraph?.EfConstruction ?? ef,
            FullScanThreshold = unnamed is null && request.HnswConfig?.FullScanThreshold is not null
                ? throw new InvalidRequestException("`hnsw_config.full_scan_threshold` is not supported yet without an unnamed vector: it applies to the unnamed vector's searches; named vectors' are planned by the cost model.")
                : unnamed?.HnswConfig?.FullScanThreshold ?? request.HnswConfig?.FullScanThreshold,
            PayloadLinks = PayloadLinks(request.HnswConfig, unnamedGraph?.M ?? m),
            Matryoshka = request.Matryoshka,
            PrefixTier = request.PrefixTier?.ToOptions(),
            Pca = request.Pca is { } pca ? new PcaOptions
            {
                Dimensions = pca.Dims,
                FitAtPoints = pca.FitAt ?? new PcaOptions().FitAtPoints,
                SamplePoints = pca.Sample ?? new PcaOptions().SamplePoints,
            } : null,
            Metadata = request.Metadata is { ValueKind: not JsonValueKind.Null } metadata
                ? RequestParsing.Payload(metadata, "metadata")
                : null,
            NamedVectors = named.Count == 0 ? null : named.ToDictionary(v => v.Key, v => v.Value.HnswConfig?.FullScanThreshold is null
                ? ToDenseOptions(v.Value, m, ef, $"vectors.{v.Key}")
                : throw new InvalidRequestException($"`vectors.{v.Key}.hnsw_config.full_scan_threshold` is not supported yet: it applies to the unnamed vector; named vectors' searches are planned by the cost model."), StringComparer.Ordinal),
            SparseVectors = ParseSparseVectors(request.SparseVectors),
            StrictMode = request.StrictModeConfig?.ToOptions(),
            Quantization = unnamed?.QuantizationConfig?.ToOptions("vectors.quantization_config") ?? request.QuantizationConfig?.ToOptions("quantization_config"),
            Memory = unnamed?.ToMemoryTier("vectors") ?? MemoryTier.Pinned,
        };
    }

    /// <summary>The new <c>ef_construct</c> of a PATCH; <c>payload_m</c> may only restate the current value.</summary>
    private static int? HnswChange(HnswConfig? change, CollectionOptions options)
    {
        if (change?.PayloadM is int payloadM && payloadM != (options.PayloadLinks ? options.LinkCapacity ?? options.M : 0))
        {
            throw new InvalidRequestException("`hnsw_config.payload_m` cannot change: value links are built (or not) for the collection's life.");
        }

        return change?.EfConstruct;
    }

    /// <summary><c>sparse_vectors</c>: a map of names to parameters; null when absent or empty.</summary>
    private static Dictionary<string, SparseVectorOptions>? ParseSparseVectors(JsonElement? sparse)
    {
        if (sparse is not { ValueKind: not JsonValueKind.Null } vectors)
        {
            return null;
        }

        if (vectors.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidRequestException("`sparse_vectors` is a map of vector names to their parameters.");
        }

        var parsed = new Dictionary<string, SparseVectorOptions>(StringComparer.Ordinal);
        foreach (var field in JsonText.Fields(vectors))
        {
            string path = $"sparse_vectors.{field.Name}";
            parsed[field.Name] = field.Value.ValueKind == JsonValueKind.Null
                ? new SparseVectorOptions()
                : field.Value.ValueKind == JsonValueKind.Object
                    ? ServerJson.ReadBody<SparseVectorParams>(field.Value, path).ToOptions(path)
                    : throw new InvalidRequestException($"`{path}` must be an object.");
        }

        return parsed.Count == 0 ? null : parsed;
    }

    /// <summary>A dense vector's settings; its graph takes its own <c>hnsw_config</c> where given, else the collection's (<paramref name="m"/>, <paramref name="ef"/>).</summary>
    internal static DenseVectorOptions ToDenseOptions(VectorParams vector, int m, int ef, string path) => new()
    {
        Dimensions = vector.Size,
        Distance = ParseDistance(vector.Distance),
        DataType = ParseDataType(vector.Datatype),
        M = vector.HnswConfig?.PayloadM is null ? vector.HnswConfig?.M ?? m
            : throw new InvalidRequestException($"`{path}.hnsw_config.payload_m`: payload-aware links are set for the collection, with its `hnsw_config.payload_m`."),
        EfConstruction = vector.HnswConfig?.EfConstruct ?? ef,
        Multivector = vector.MultivectorConfig?.ToComparator($"{path}.multivector_config"),
        Matryoshka = vector.Matryoshka,
        PrefixTier = vector.PrefixTier?.ToOptions(),
        Quantization = vector.QuantizationConfig?.ToOptions($"{path}.quantization_config"),
        Memory = vector.ToMemoryTier(path),
    };

    /// <summary>
    /// <c>vectors</c>: one vector's parameters (the unnamed vector), or a map of names to parameters, in which <c>""</c>
    /// is the unnamed vector. Absent or <c>{}</c>: no dense vectors.
    /// </summary>
    private static (VectorParams? Unnamed, Dictionary<string, VectorParams> Named) ParseVectors(JsonElement? vectors)
    {
        var named = new Dictionary<string, VectorParams>(StringComparer.Ordinal);
        if (vectors is not { ValueKind: not JsonValueKind.Null } parameters)
        {
            return (null, named);
        }

        if (parameters.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidRequestException("`vectors` is an object: a vector's `size` and `distance`, or a map of vector names to them.");
        }

        if (parameters.TryGetProperty("size", out _) || parameters.TryGetProperty("distance", out _))
        {
            return (ServerJson.ReadBody<VectorParams>(parameters, "vectors"), named);
        }

        VectorParams? unnamed = null;
        foreach (var field in JsonText.Fields(parameters))
        {
            if (field.Value.ValueKind != JsonValueKind.Object)
            {
                throw new InvalidRequestException($"`vectors.{field.Name}` must be an object with `size` and `distance`.");
            }

            var read = ServerJson.ReadBody<VectorParams>(field.Value, $"vectors.{field.Name}");
            if (field.Name.Length == 0)
            {
                unnamed = read;
            }
            else
            {
                named[field.Name] = read;
            }
        }

        return (unnamed, named);
    }

    /// <summary><c>on_disk</c> as Qdrant shows it: true for rows in a file, absent otherwise.</summary>
    private static bool? OnDisk(MemoryTier tier) => tier == MemoryTier.Pinned ? null : true;

    /// <summary><c>memory</c> for rows in a file (absent for the default, pinned).</summary>
    private static string? MemoryName(MemoryTier tier) => tier == MemoryTier.Pinned ? null : tier.ToString().ToLowerInvariant();

    /// <summary>Qdrant's distance names: Cosine, Dot, Euclid, Manhattan.</summary>
    public static DistanceMetric ParseDistance(string? name) => name switch
    {
        "Cosine" => DistanceMetric.Cosine,
        "Dot" => DistanceMetric.Dot,
        "Euclid" => DistanceMetric.Euclid,
        "Manhattan" => DistanceMetric.Manhattan,
        _ => throw new InvalidRequestException($"Unknown distance `{name}`: use Cosine, Dot, Euclid or Manhattan."),
    };

    /// <summary>Qdrant's <c>datatype</c> names (its <c>uint8</c> and <c>turbo4</c> are not supported), plus <c>bfloat16</c>.</summary>
    public static VectorDataType ParseDataType(string? name) => name switch
    {
        null or "float32" => VectorDataType.Float32,
        "float16" => VectorDataType.Float16,
        "bfloat16" => VectorDataType.BFloat16,
        "uint8" or "turbo4" => throw new InvalidRequestException($"`vectors.datatype` = \"{name}\" is not supported yet: use float32, float16 or bfloat16."),
        _ => throw new InvalidRequestException($"Unknown datatype `{name}`: use float32, float16 or bfloat16."),
    };

    /// <summary><c>hnsw_config.payload_m</c>: 0 turns value links off; unset or equal to <c>m</c> keeps them.</summary>
    private static bool PayloadLinks(HnswConfig? config, int m) => config?.PayloadM switch
    {
        null => true,
        0 => false,
        { } payloadM when payloadM == m => true,
        { } payloadM => throw new InvalidRequestException($"`hnsw_config.payload_m` must be 0 (no payload-aware links) or equal to the unnamed vector's `m` ({m}), got {payloadM}."),
    };

    private static AdaptiveInfo DescribeAdaptive(Collection collection)
    {
        var options = collection.Options;
        var rotation = collection.Rotation;
        var memory = options.Dimensions > 0 ? collection.DenseMemory() : null;
        return new AdaptiveInfo(
            options.Dimensions,
            options.Matryoshka,
            options.Pca is { } pca
                ? new PcaInfo(options.PcaDimensions!.Value, pca.FitAtPoints, pca.SamplePoints, rotation is not null, rotation?.ExplainedVariance, collection.RotationFitError)
                : null,
            options.PrefixTier is { } tier ? new PrefixTierInfo(tier.Dimensions, tier.Oversampling) : null,
            memory is null ? null : new AdaptiveMemoryInfo(memory.PrefixBytes, memory.GraphBytes, memory.RowBytes, memory.CodeBytes, memory.RamBytes, memory.DiskBytes));
    }

    /// <summary>A collection as <c>GET /collections/{name}</c> shows it.</summary>
    internal static CollectionInfo Describe(Collection collection)
    {
        var options = collection.Options;
        int count = collection.Count();
        var config = new CollectionConfigInfo(
            new CollectionParamsInfo(
                DescribeVectors(options),
                ShardNumber: 1, ReplicationFactor: 1, WriteConsistencyFactor: 1, OnDiskPayload: false)
            {
                SparseVectors = options.SparseVectors is { Count: > 0 } sparse
                    ? sparse.ToDictionary(v => v.Key, v => new SparseVectorParamsInfo(v.Value.Idf ? "idf" : "none"), StringComparer.Ordinal)
                    : null,
            },
            new HnswConfigInfo(options.M, options.EfConstruction, FullScanThreshold: options.FullScanThreshold ?? 0, OnDisk: false, PayloadM: options.PayloadLinks ? options.LinkCapacity ?? options.M : 0),
            new OptimizerConfigInfo(DeletedThreshold: 0.2, VacuumMinVectorNumber: 1000, DefaultSegmentNumber: 1, FlushIntervalSec: 5),
            new WalConfigInfo(WalCapacityMb: 32, WalSegmentsAhead: 0),
            options.Metadata?.Root)
        {
            StrictModeConfig = options.StrictMode is { } strict ? StrictModeConfig.From(strict) : null,
            QuantizationConfig = QuantizationConfig.Describe(options.Quantization),
        };
        return new CollectionInfo(
            collection.IsIndexing ? "yellow" : "green", // Qdrant's "optimizations are running"
            "ok", count, count, SegmentsCount: 1, config,
            collection.PayloadIndexes.ToDictionary(
                index => index.Key,
                index => new PayloadIndexInfo(IndexApi.SchemaName(index.Schema), index.Points)
                {
                    Params = index.IsTenant ? new PayloadIndexParamsInfo(IndexApi.SchemaName(index.Schema)) { IsTenant = true }
                        : index.Text is { } text ? new PayloadIndexParamsInfo("text")
                        {
                            Tokenizer = text.Tokenizer.ToString().ToLowerInvariant(),
                            MinTokenLen = text.MinTokenLength,
                            MaxTokenLen = text.MaxTokenLength,
                            Lowercase = text.Lowercase,
                            PhraseMatching = text.PhraseMatching,
                            Stopwords = text.StopWords is { Count: > 0 } words ? new StopwordsInfo(words) : null,
                            Stemmer = text.EnglishStemmer ? new StemmerInfo("snowball", "english") : null,
                        }
                        : null,
                }));
    }

    /// <summary><c>params.vectors</c> as Qdrant shows it: one vector's parameters, or a map by name when there are named vectors.</summary>
    private static object DescribeVectors(CollectionOptions options)
    {
        var unnamed = options.HasUnnamedVector ? new VectorParamsInfo(options.Dimensions, options.Distance.ToString(), options.DataType.ToApiName()) { OnDisk = OnDisk(options.Memory), Memory = MemoryName(options.Memory) } : null;
        if (unnamed is not null && options.Quantization is not null && options.NamedVectors is { Count: > 0 })
        {
            unnamed = unnamed with { QuantizationConfig = QuantizationConfig.Describe(options.Quantization) }; // in a map of vectors, shown per vector as well
        }

        if (options.NamedVectors is not { Count: > 0 } named)
        {
            return unnamed ?? (object)new Dictionary<string, VectorParamsInfo>();
        }

        var vectors = named.ToDictionary(
            v => v.Key,
            v => new VectorParamsInfo(v.Value.Dimensions, v.Value.Distance.ToString(), v.Value.DataType.ToApiName())
            {
                MultivectorConfig = v.Value.Multivector is null ? null : new MultivectorConfigInfo("max_sim"),
                HnswConfig = v.Value.M != options.M || v.Value.EfConstruction != options.EfConstruction ? new VectorHnswConfigInfo(v.Value.M, v.Value.EfConstruction) : null,
                Matryoshka = v.Value.Matryoshka,
                PrefixTier = v.Value.PrefixTier is { } tier ? new PrefixTierInfo(tier.Dimensions, tier.Oversampling) : null,
                QuantizationConfig = QuantizationConfig.Describe(v.Value.Quantization),
                OnDisk = OnDisk(v.Value.Memory),
                Memory = MemoryName(v.Value.Memory),
            },
            StringComparer.Ordinal);
        if (unnamed is not null)
        {
            vectors[""] = unnamed;
        }

        return vectors;
    }
}
