using System.Diagnostics;
using System.Text.Json;
using Microsoft.AspNetCore.Mvc;

namespace VectorDb.Server.Api;

/// <summary>Request body of <c>PUT /collections/{name}</c> (the part we support).</summary>
/// <remarks><c>matryoshka</c> and <c>pca</c> are ours (adaptive-dimension search); Qdrant clients never send them.</remarks>
internal sealed record CreateCollectionRequest(VectorParams? Vectors, HnswConfig? HnswConfig, int[]? Matryoshka = null, PcaParams? Pca = null);

/// <summary>The <c>pca</c> option: kept axes, the size that triggers the fit (0: on request only), the sample size.</summary>
internal sealed record PcaParams(int? Dims, int? FitAt, int? Sample);

/// <summary>Qdrant's vector parameters; <c>datatype</c> takes Qdrant's <c>float32</c> and <c>float16</c>, and <c>bfloat16</c> (ours, as Milvus's).</summary>
internal sealed record VectorParams(int Size, string Distance, string? Datatype = null);

/// <summary><c>payload_m</c>: Qdrant's count of payload-aware links per node; ours are always 2·M per value, so only 0
/// (none) or <c>m</c> (the default) are accepted.</summary>
internal sealed record HnswConfig(int? M, int? EfConstruct, int? PayloadM = null);

/// <summary><c>/collections</c>: list, create, inspect, delete, exists.</summary>
internal static class CollectionsApi
{
    public static RouteGroupBuilder MapCollectionsApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/collections").WithTags("Collections");
        group.MapGet("/", (VectorDatabase db) =>
        {
            long start = Stopwatch.GetTimestamp();
            return QdrantResults.Ok(new { collections = db.ListCollections().Select(name => new { name }) }, start);
        });
        group.MapPut("/{name}", (string name, CreateCollectionRequest request, VectorDatabase db, ServerOptions limits) =>
        {
            long start = Stopwatch.GetTimestamp();
            var vectors = request.Vectors ?? throw new InvalidRequestException("`vectors` with `size` and `distance` is required.");
            ServerOptions.Check("Vector size", vectors.Size, limits.MaxDimensions, nameof(limits.MaxDimensions));
            db.CreateCollection(name, new CollectionOptions
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
            });
            return QdrantResults.Ok(true, start);
        });
        group.MapGet("/{name}", (string name, VectorDatabase db) =>
        {
            long start = Stopwatch.GetTimestamp();
            return QdrantResults.Ok(Describe(db.GetCollection(name)), start);
        });
        group.MapPatch("/{name}", (string name, [FromBody] JsonElement request, VectorDatabase db) =>
        {
            long start = Stopwatch.GetTimestamp();
            db.GetCollection(name);
            string? change = request.ValueKind == JsonValueKind.Object
                ? request.EnumerateObject().Where(p => p.Value.ValueKind != JsonValueKind.Null).Select(p => p.Name).FirstOrDefault()
                : null;
            if (change is not null)
            {
                throw new InvalidRequestException($"Changing `{change}` of an existing collection is not supported yet.");
            }

            return QdrantResults.Ok(true, start);
        });
        group.MapGet("/{name}/exists", (string name, VectorDatabase db) =>
        {
            long start = Stopwatch.GetTimestamp();
            return QdrantResults.Ok(new { exists = db.CollectionExists(name) }, start);
        });
        group.MapGet("/{name}/adaptive", (string name, VectorDatabase db) =>
        {
            long start = Stopwatch.GetTimestamp();
            return QdrantResults.Ok(DescribeAdaptive(db.GetCollection(name)), start);
        }).WithSummary("Adaptive-dimension settings of a collection (ours): Matryoshka prefixes, PCA options and the fitted rotation");
        group.MapPost("/{name}/adaptive/pca", (string name, HttpContext context, VectorDatabase db) =>
        {
            long start = Stopwatch.GetTimestamp();
            var fitted = db.GetCollection(name).FitRotation(RequestParsing.Wait(context));
            return QdrantResults.Ok(new { dims = fitted.Dimensions, explained_variance = fitted.ExplainedVariance, sample = fitted.SamplePoints }, start);
        }).WithSummary("Fit the PCA rotation of a collection created with `pca` now (ours), replacing an earlier fit");
        group.MapDelete("/{name}", (string name, VectorDatabase db) =>
        {
            long start = Stopwatch.GetTimestamp();
            return QdrantResults.Ok(db.DeleteCollection(name), start);
        });
        return group;
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

    /// <summary>Qdrant's <c>datatype</c> names (its <c>uint8</c> is not supported), plus <c>bfloat16</c>.</summary>
    public static VectorDataType ParseDataType(string? name) => name switch
    {
        null or "float32" => VectorDataType.Float32,
        "float16" => VectorDataType.Float16,
        "bfloat16" => VectorDataType.BFloat16,
        _ => throw new InvalidRequestException($"Unknown or unsupported datatype `{name}`: use float32, float16 or bfloat16."),
    };

    /// <summary><c>hnsw_config.payload_m</c>: 0 turns value links off; unset or equal to <c>m</c> keeps them.</summary>
    private static bool PayloadLinks(HnswConfig? config) => config?.PayloadM switch
    {
        null => true,
        0 => false,
        { } m when m == (config.M ?? 16) => true,
        { } m => throw new InvalidRequestException($"`hnsw_config.payload_m` must be 0 (no payload-aware links) or equal to `m` ({config.M ?? 16}), got {m}."),
    };

    private static object DescribeAdaptive(Collection collection)
    {
        var options = collection.Options;
        var rotation = collection.Rotation;
        return new
        {
            dims = options.Dimensions,
            matryoshka = options.Matryoshka,
            pca = options.Pca is { } pca ? new
            {
                dims = options.PcaDimensions,
                fit_at = pca.FitAtPoints,
                sample = pca.SamplePoints,
                @fitted = rotation is not null,
                explained_variance = rotation?.ExplainedVariance,
                fit_error = collection.RotationFitError,
            } : null,
        };
    }

    private static object Describe(Collection collection)
    {
        var options = collection.Options;
        int count = collection.Count();
        return new
        {
            status = collection.IsIndexing ? "yellow" : "green", // Qdrant's "optimizations are running"
            optimizer_status = "ok",
            points_count = count,
            indexed_vectors_count = count,
            segments_count = 1,
            config = new
            {
                @params = new
                {
                    vectors = new { size = options.Dimensions, distance = options.Distance.ToString(), datatype = options.DataType.ToApiName() },
                    shard_number = 1,
                    replication_factor = 1,
                    write_consistency_factor = 1,
                    on_disk_payload = false,
                },
                hnsw_config = new { m = options.M, ef_construct = options.EfConstruction, full_scan_threshold = 10000, on_disk = false, payload_m = options.PayloadLinks ? options.M : 0 },
                optimizer_config = new { deleted_threshold = 0.2, vacuum_min_vector_number = 1000, default_segment_number = 1, flush_interval_sec = 5 },
                wal_config = new { wal_capacity_mb = 32, wal_segments_ahead = 0 },
            },
            payload_schema = collection.PayloadIndexes.ToDictionary(
                index => index.Key,
                index => index.IsTenant
                    ? (object)new { data_type = IndexApi.SchemaName(index.Schema), @params = new { type = IndexApi.SchemaName(index.Schema), is_tenant = true }, points = index.Points }
                    : new { data_type = IndexApi.SchemaName(index.Schema), points = index.Points }),
        };
    }
}
