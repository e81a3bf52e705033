using System.Text.Json;
using VectorDb.Server.Api.Validation;

namespace VectorDb.Server.Api;

/// <summary>Request body of <c>PUT /collections/{name}</c>.</summary>
/// <remarks><c>matryoshka</c> and <c>pca</c> are ours (adaptive-dimension search); Qdrant clients never send them.</remarks>
[Refused("quantization_config", Unquantized)]
[Refused("strict_mode_config", "limits are the server's settings (docs/rest.md, \"Limits\"), the same for every collection")]
[Refused("wal_config", "the database has one write-ahead log for all collections, with fixed segments")]
[Refused("optimizers_config", "points are indexed as they are written; there are no segments to optimise")]
[Refused("payload", "payloads are kept in memory (and persisted)")]
internal sealed record CreateCollectionRequest([property: ReadAs(typeof(VectorParams))] JsonElement? Vectors, HnswConfig? HnswConfig, int[]? Matryoshka = null, PcaParams? Pca = null) : RequestBody
{
    internal const string SingleVector = "a point holds one dense vector; named, sparse and multivectors are not built yet";
    internal const string Unquantized = "vectors are stored unquantized (float32, or float16/bfloat16 with `datatype`)";
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

    /// <summary>Any JSON object, kept with the collection and returned by <c>GET /collections/{name}</c>.</summary>
    public JsonElement? Metadata { get; init; }

    /// <summary>Refused unless empty (<c>{}</c>, which LangChain's Python store sends): there are no sparse vectors yet.</summary>
    public JsonElement? SparseVectors { get; init; }
}

/// <summary>Request body of <c>PATCH /collections/{name}</c>: nothing is mutable yet, so every field is refused.</summary>
[Refused("vectors", Immutable)]
[Refused("optimizers_config", Immutable)]
[Refused("params", Immutable)]
[Refused("hnsw_config", Immutable)]
[Refused("quantization_config", Immutable)]
[Refused("sparse_vectors", Immutable)]
[Refused("strict_mode_config", Immutable)]
[Refused("metadata", Immutable)]
internal sealed record UpdateCollectionRequest : RequestBody
{
    private const string Immutable = "the settings of an existing collection cannot be changed yet";
}

/// <summary>The <c>pca</c> option: kept axes, the size that triggers the fit (0: on request only), the sample size.</summary>
internal sealed record PcaParams(int? Dims, int? FitAt, int? Sample) : RequestBody;

/// <summary>Qdrant's vector parameters; <c>datatype</c> takes Qdrant's <c>float32</c> and <c>float16</c>, and <c>bfloat16</c> (ours, as Milvus's).</summary>
[Refused("hnsw_config", "set the graph's parameters with the collection's `hnsw_config`")]
[Refused("quantization_config", CreateCollectionRequest.Unquantized)]
[Refused("multivector_config", CreateCollectionRequest.SingleVector)]
[Refused("memory", "vectors are kept in memory")]
internal sealed record VectorParams(int Size, string Distance, string? Datatype = null) : RequestBody
{
    [Only("vectors are kept in memory", false)]
    public bool? OnDisk { get; init; }
}

/// <summary><c>payload_m</c>: Qdrant's count of payload-aware links per node; ours are always 2·M per value, so only 0
/// (none) or <c>m</c> (the default) are accepted.</summary>
[Refused("full_scan_threshold", "the query planner chooses between an exact scan and the graph by its cost model (docs/planner.md)")]
[Refused("memory", "the graph is kept in memory")]
internal sealed record HnswConfig(int? M, int? EfConstruct, int? PayloadM = null) : RequestBody
{
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
        group.MapPut("/{name}", (string name, CreateCollectionRequest request, VectorDatabase db, ServerOptions limits) =>
        {
            db.CreateCollection(name, ToOptions(request, limits));
            return Qdrant.Ok(true);
        }).WithMetadata(QueryParameters.CollectionWrite);
        group.MapGet("/{name}", (string name, VectorDatabase db) => Qdrant.Ok(Describe(db.GetCollection(name))));
        group.MapPatch("/{name}", (string name, UpdateCollectionRequest request, VectorDatabase db) =>
        {
            db.GetCollection(name); // every field is refused, so what remains is a request that changes nothing
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
        group.MapDelete("/{name}", (string name, VectorDatabase db) => Qdrant.Ok(db.DeleteCollection(name)))
            .WithMetadata(QueryParameters.CollectionWrite);
        return group;
    }

    private static CollectionOptions ToOptions(CreateCollectionRequest request, ServerOptions limits)
    {
        if (request.SparseVectors is { ValueKind: not JsonValueKind.Null } sparse && (sparse.ValueKind != JsonValueKind.Object || JsonText.Fields(sparse).Any()))
        {
            throw new InvalidRequestException($"`sparse_vectors` is not supported yet: {CreateCollectionRequest.SingleVector}.");
        }

        var vectors = ParseVectors(request.Vectors);
        ServerOptions.Check("Vector size", vectors.Size, limits.MaxDimensions, nameof(limits.MaxDimensions));
        return new CollectionOptions
        {
            Dimensions = vectors.Size,
            Distance = ParseDistance(vectors.Distance),
            DataType = ParseDataType(vectors.Datatype),
            M = request.HnswConfig?.M ?? 16,
            EfConstruction = request.HnswConfig?.EfConstruct ?? 100,
            PayloadLinks = PayloadLinks(request.HnswConfig),
            Matryoshka = request.Matryoshka,
            Pca = request.Pca is { } pca ? new PcaOptions
            {
                Dimensions = pca.Dims,
                FitAtPoints = pca.FitAt ?? new PcaOptions().FitAtPoints,
                SamplePoints = pca.Sample ?? new PcaOptions().SamplePoints,
            } : null,
            Metadata = request.Metadata is { ValueKind: not JsonValueKind.Null } metadata
                ? RequestParsing.Payload(metadata, "metadata")
                : null,
        };
    }

    /// <summary>
    /// <c>vectors</c>: one vector's parameters. A map of named vectors (an object whose fields are objects, not
    /// <c>size</c> and <c>distance</c>) is refused by name rather than read as parameters missing their size.
    /// </summary>
    private static VectorParams ParseVectors(JsonElement? vectors)
    {
        if (vectors is not { ValueKind: JsonValueKind.Object } parameters)
        {
            throw new InvalidRequestException("`vectors` with `size` and `distance` is required.");
        }

        if (!parameters.TryGetProperty("size", out _) && !parameters.TryGetProperty("distance", out _)
            && parameters.EnumerateObject().Any(p => p.Value.ValueKind == JsonValueKind.Object))
        {
            // Qdrant's unnamed vector is the vector named "" (what LangChain's Python store creates by default).
            return JsonText.Fields(parameters).ToList() is [{ Name: "", Value: { ValueKind: JsonValueKind.Object } unnamed }]
                ? ServerJson.ReadBody<VectorParams>(unnamed, "vectors.\"\"")
                : throw new InvalidRequestException($"`vectors` as a map of named vectors is not supported yet: {CreateCollectionRequest.SingleVector}.");
        }

        return ServerJson.ReadBody<VectorParams>(parameters, "vectors");
    }

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
    private static bool PayloadLinks(HnswConfig? config) => config?.PayloadM switch
    {
        null => true,
        0 => false,
        { } m when m == (config.M ?? 16) => true,
        { } m => throw new InvalidRequestException($"`hnsw_config.payload_m` must be 0 (no payload-aware links) or equal to `m` ({config.M ?? 16}), got {m}."),
    };

    private static AdaptiveInfo DescribeAdaptive(Collection collection)
    {
        var options = collection.Options;
        var rotation = collection.Rotation;
        return new AdaptiveInfo(
            options.Dimensions,
            options.Matryoshka,
            options.Pca is { } pca
                ? new PcaInfo(options.PcaDimensions!.Value, pca.FitAtPoints, pca.SamplePoints, rotation is not null, rotation?.ExplainedVariance, collection.RotationFitError)
                : null);
    }

    private static CollectionInfo Describe(Collection collection)
    {
        var options = collection.Options;
        int count = collection.Count();
        var config = new CollectionConfigInfo(
            new CollectionParamsInfo(
                new VectorParamsInfo(options.Dimensions, options.Distance.ToString(), options.DataType.ToApiName()),
                ShardNumber: 1, ReplicationFactor: 1, WriteConsistencyFactor: 1, OnDiskPayload: false),
            new HnswConfigInfo(options.M, options.EfConstruction, FullScanThreshold: 10000, OnDisk: false, PayloadM: options.PayloadLinks ? options.M : 0),
            new OptimizerConfigInfo(DeletedThreshold: 0.2, VacuumMinVectorNumber: 1000, DefaultSegmentNumber: 1, FlushIntervalSec: 5),
            new WalConfigInfo(WalCapacityMb: 32, WalSegmentsAhead: 0),
            options.Metadata?.Root);
        return new CollectionInfo(
            collection.IsIndexing ? "yellow" : "green", // Qdrant's "optimizations are running"
            "ok", count, count, SegmentsCount: 1, config,
            collection.PayloadIndexes.ToDictionary(
                index => index.Key,
                index => new PayloadIndexInfo(IndexApi.SchemaName(index.Schema), index.Points)
                {
                    Params = index.IsTenant ? new PayloadIndexParamsInfo(IndexApi.SchemaName(index.Schema), IsTenant: true) : null,
                }));
    }
}
