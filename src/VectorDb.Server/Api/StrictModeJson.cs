using VectorDb.Server.Api.Validation;

namespace VectorDb.Server.Api;

/// <summary>Qdrant's <c>strict_mode_config</c>, as a collection is created or changed with it and described.</summary>
[Refused("max_collection_payload_size_bytes", "the payload storage size is not tracked yet")]
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

    public int? FilterMaxConditions { get; init; }

    public int? ConditionMaxSize { get; init; }

    public Dictionary<string, MultivectorLimit>? MultivectorConfig { get; init; }

    public Dictionary<string, SparseLimit>? SparseConfig { get; init; }

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
        FilterMaxConditions = FilterMaxConditions,
        ConditionMaxSize = ConditionMaxSize,
        MultivectorMaxVectors = MultivectorConfig?.Where(v => v.Value.MaxVectors is not null).ToDictionary(v => v.Key, v => v.Value.MaxVectors!.Value, StringComparer.Ordinal),
        SparseMaxLength = SparseConfig?.Where(v => v.Value.MaxLength is not null).ToDictionary(v => v.Key, v => v.Value.MaxLength!.Value, StringComparer.Ordinal),
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
        FilterMaxConditions = options.FilterMaxConditions,
        ConditionMaxSize = options.ConditionMaxSize,
        MultivectorConfig = options.MultivectorMaxVectors?.ToDictionary(v => v.Key, v => new MultivectorLimit(v.Value), StringComparer.Ordinal),
        SparseConfig = options.SparseMaxLength?.ToDictionary(v => v.Key, v => new SparseLimit(v.Value), StringComparer.Ordinal),
        MaxPayloadIndexCount = options.MaxPayloadIndexCount,
    };
}

/// <summary>A multivector's strict-mode limit.</summary>
internal sealed record MultivectorLimit(int? MaxVectors) : RequestBody;

/// <summary>A sparse vector's strict-mode limit.</summary>
internal sealed record SparseLimit(int? MaxLength) : RequestBody;
