using System.Text.Json;
using VectorDb.Server.Api.Validation;

namespace VectorDb.Server.Api;

/// <summary>Qdrant's <c>strict_mode_config</c>, as a collection is created or changed with it and described.</summary>
[Refused("max_resident_memory_percent", "deprecated in Qdrant; limit the collection by points or vector memory instead")]
internal sealed record StrictModeConfig : RequestBody
{
    public bool? Enabled { get; init; }

    public int? MaxQueryLimit { get; init; }

    public int? MaxTimeout { get; init; }

    public bool? UnindexedFilteringRetrieve { get; init; }

    public bool? UnindexedFilteringUpdate { get; init; }

    public int? SearchMaxHnswEf { get; init; }

    public bool? SearchAllowExact { get; init; }

    public double? SearchMaxOversampling { get; init; }

    public int? UpsertMaxBatchsize { get; init; }

    public int? SearchMaxBatchsize { get; init; }

    public long? MaxCollectionVectorSizeBytes { get; init; }

    public int? ReadRateLimit { get; init; }

    public int? WriteRateLimit { get; init; }

    public long? MaxPointsCount { get; init; }

    public long? MaxCollectionPayloadSizeBytes { get; init; }

    public int? FilterMaxConditions { get; init; }

    public int? ConditionMaxSize { get; init; }

    /// <summary>Limits by multivector name, each read as a <see cref="MultivectorLimit"/>.</summary>
    public Dictionary<string, JsonElement>? MultivectorConfig { get; init; }

    /// <summary>Limits by sparse vector name, each read as a <see cref="SparseLimit"/>.</summary>
    public Dictionary<string, JsonElement>? SparseConfig { get; init; }

    public int? MaxPayloadIndexCount { get; init; }

    public StrictModeOptions ToOptions() => new()
    {
        Enabled = Enabled,
        MaxQueryLimit = MaxQueryLimit,
        MaxTimeout = MaxTimeout,
        UnindexedFilteringRetrieve = UnindexedFilteringRetrieve,
        UnindexedFilteringUpdate = UnindexedFilteringUpdate,
        SearchMaxHnswEf = SearchMaxHnswEf,
        SearchAllowExact = SearchAllowExact,
        SearchMaxOversampling = SearchMaxOversampling,
        UpsertMaxBatchSize = UpsertMaxBatchsize,
        SearchMaxBatchSize = SearchMaxBatchsize,
        MaxCollectionVectorSizeBytes = MaxCollectionVectorSizeBytes,
        ReadRateLimit = ReadRateLimit,
        WriteRateLimit = WriteRateLimit,
        MaxPointsCount = MaxPointsCount,
        MaxCollectionPayloadSizeBytes = MaxCollectionPayloadSizeBytes,
        FilterMaxConditions = FilterMaxConditions,
        ConditionMaxSize = ConditionMaxSize,
        MultivectorMaxVectors = Limits(MultivectorConfig, "multivector_config", (MultivectorLimit limit) => limit.MaxVectors),
        SparseMaxLength = Limits(SparseConfig, "sparse_config", (SparseLimit limit) => limit.MaxLength),
        MaxPayloadIndexCount = MaxPayloadIndexCount,
    };

    public static StrictModeConfig From(StrictModeOptions options) => new()
    {
        Enabled = options.Enabled ?? false,
        MaxQueryLimit = options.MaxQueryLimit,
        MaxTimeout = options.MaxTimeout,
        UnindexedFilteringRetrieve = options.UnindexedFilteringRetrieve,
        UnindexedFilteringUpdate = options.UnindexedFilteringUpdate,
        SearchMaxHnswEf = options.SearchMaxHnswEf,
        SearchAllowExact = options.SearchAllowExact,
        SearchMaxOversampling = options.SearchMaxOversampling,
        UpsertMaxBatchsize = options.UpsertMaxBatchSize,
        SearchMaxBatchsize = options.SearchMaxBatchSize,
        MaxCollectionVectorSizeBytes = options.MaxCollectionVectorSizeBytes,
        ReadRateLimit = options.ReadRateLimit,
        WriteRateLimit = options.WriteRateLimit,
        MaxPointsCount = options.MaxPointsCount,
        MaxCollectionPayloadSizeBytes = options.MaxCollectionPayloadSizeBytes,
        FilterMaxConditions = options.FilterMaxConditions,
        ConditionMaxSize = options.ConditionMaxSize,
        MultivectorConfig = options.MultivectorMaxVectors?.ToDictionary(v => v.Key, v => JsonSerializer.SerializeToElement(new MultivectorLimit(v.Value), ServerJson.Options), StringComparer.Ordinal),
        SparseConfig = options.SparseMaxLength?.ToDictionary(v => v.Key, v => JsonSerializer.SerializeToElement(new SparseLimit(v.Value), ServerJson.Options), StringComparer.Ordinal),
        MaxPayloadIndexCount = options.MaxPayloadIndexCount,
    };

    /// <summary>A map of per-vector limits read strictly (null values count as absent), as limit by vector name.</summary>
    private static Dictionary<string, int>? Limits<T>(Dictionary<string, JsonElement>? given, string path, Func<T, int?> limit)
        where T : RequestBody =>
        given?.Where(entry => entry.Value.ValueKind != JsonValueKind.Null)
            .Select(entry => (entry.Key, Limit: limit(ServerJson.ReadBody<T>(entry.Value, $"strict_mode_config.{path}.{entry.Key}"))))
            .Where(entry => entry.Limit is not null)
            .ToDictionary(entry => entry.Key, entry => entry.Limit!.Value, StringComparer.Ordinal);
}

/// <summary>A multivector's strict-mode limit.</summary>
internal sealed record MultivectorLimit(int? MaxVectors) : RequestBody;

/// <summary>A sparse vector's strict-mode limit.</summary>
internal sealed record SparseLimit(int? MaxLength) : RequestBody;
