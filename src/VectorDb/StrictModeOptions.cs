namespace VectorDb;

/// <summary>
/// Qdrant's strict mode: limits a collection puts on the requests it serves, so that one client cannot overload a shared
/// server. The collection stores them (and logs and checkpoints them with its settings); the REST server enforces them
/// on every request, answering 403 (429 for the rate limits). The embedded API is trusted and not held to them. Null
/// fields: no limit.
/// </summary>
public sealed record StrictModeOptions
{
    /// <summary>Whether the limits apply at all (null: no, or, in a change, as before).</summary>
    public bool? Enabled { get; init; }

    /// <summary>Most hits a search, query (and each of its prefetches), scroll or facet may ask for; limit × group size for groups.</summary>
    public int? MaxQueryLimit { get; init; }

    /// <summary>Longest <c>timeout</c> (seconds) a request may give.</summary>
    public int? MaxTimeout { get; init; }

    /// <summary>When false, filters of reads may only name payload keys that have an index.</summary>
    public bool? UnindexedFilteringRetrieve { get; init; }

    /// <summary>When false, filters of writes (delete, payload updates by filter) may only name indexed keys.</summary>
    public bool? UnindexedFilteringUpdate { get; init; }

    /// <summary>Widest <c>hnsw_ef</c> a search may ask for.</summary>
    public int? SearchMaxHnswEf { get; init; }

    /// <summary>When false, <c>exact: true</c> searches are refused.</summary>
    public bool? SearchAllowExact { get; init; }

    /// <summary>Largest oversampling a search may ask for (our adaptive search's <c>oversampling</c>).</summary>
    public double? SearchMaxOversampling { get; init; }

    /// <summary>Most points an upsert (or vector update) may carry.</summary>
    public int? UpsertMaxBatchSize { get; init; }

    /// <summary>Most searches a batch request may carry.</summary>
    public int? SearchMaxBatchSize { get; init; }

    /// <summary>Vector memory (bytes) past which upserts are refused.</summary>
    public long? MaxCollectionVectorSizeBytes { get; init; }

    /// <summary>Read requests per minute (a batch counts once per search).</summary>
    public int? ReadRateLimit { get; init; }

    /// <summary>Write requests per minute (an upsert counts once per point).</summary>
    public int? WriteRateLimit { get; init; }

    /// <summary>Payload bytes (as their JSON text is kept) past which upserts and payload updates are refused.</summary>
    public long? MaxCollectionPayloadSizeBytes { get; init; }

    /// <summary>Points past which upserts of new points are refused.</summary>
    public long? MaxPointsCount { get; init; }

    /// <summary>Most conditions a filter may hold, counted through nested filters.</summary>
    public int? FilterMaxConditions { get; init; }

    /// <summary>Most values one condition may hold (<c>match.any</c>, <c>match.except</c>, <c>has_id</c>).</summary>
    public int? ConditionMaxSize { get; init; }

    /// <summary>Most vectors a point's multivector may hold, by vector name.</summary>
    public IReadOnlyDictionary<string, int>? MultivectorMaxVectors { get; init; }

    /// <summary>Most non-zero dimensions a sparse vector may hold, by vector name.</summary>
    public IReadOnlyDictionary<string, int>? SparseMaxLength { get; init; }

    /// <summary>Most payload indexes the collection may have.</summary>
    public int? MaxPayloadIndexCount { get; init; }

    /// <summary>Throws <see cref="InvalidRequestException"/> for a limit below what any request needs.</summary>
    public void Validate()
    {
        void AtLeast(string name, double? value, double minimum)
        {
            if (value is { } given && (!double.IsFinite(given) || given < minimum))
            {
                throw new InvalidRequestException($"strict_mode_config.{name} must be at least {minimum}, got {given}.");
            }
        }

        AtLeast("max_query_limit", MaxQueryLimit, 1);
        AtLeast("max_timeout", MaxTimeout, 1);
        AtLeast("search_max_hnsw_ef", SearchMaxHnswEf, 1);
        AtLeast("search_max_oversampling", SearchMaxOversampling, 1);
        AtLeast("upsert_max_batchsize", UpsertMaxBatchSize, 1);
        AtLeast("search_max_batchsize", SearchMaxBatchSize, 1);
        AtLeast("max_collection_vector_size_bytes", MaxCollectionVectorSizeBytes, 0);
        AtLeast("read_rate_limit", ReadRateLimit, 1);
        AtLeast("write_rate_limit", WriteRateLimit, 1);
        AtLeast("max_points_count", MaxPointsCount, 0);
        AtLeast("max_collection_payload_size_bytes", MaxCollectionPayloadSizeBytes, 0);
        AtLeast("filter_max_conditions", FilterMaxConditions, 1);
        AtLeast("condition_max_size", ConditionMaxSize, 1);
        AtLeast("max_payload_index_count", MaxPayloadIndexCount, 0);
        foreach (var (name, value) in (MultivectorMaxVectors ?? new Dictionary<string, int>()).Concat(SparseMaxLength ?? new Dictionary<string, int>()))
        {
            AtLeast($"… `{name}` limit", value, 1);
        }
    }

    /// <summary>These limits without those of a vector that no longer exists.</summary>
    internal StrictModeOptions WithoutVector(string name) => this with
    {
        MultivectorMaxVectors = MultivectorMaxVectors?.Where(limit => limit.Key != name).ToDictionary(StringComparer.Ordinal),
        SparseMaxLength = SparseMaxLength?.Where(limit => limit.Key != name).ToDictionary(StringComparer.Ordinal),
    };

    /// <summary>These limits with the ones <paramref name="change"/> sets (its non-null fields) replaced.</summary>
    public StrictModeOptions With(StrictModeOptions change) => new()
    {
        Enabled = change.Enabled ?? Enabled,
        MaxQueryLimit = change.MaxQueryLimit ?? MaxQueryLimit,
        MaxTimeout = change.MaxTimeout ?? MaxTimeout,
        UnindexedFilteringRetrieve = change.UnindexedFilteringRetrieve ?? UnindexedFilteringRetrieve,
        UnindexedFilteringUpdate = change.UnindexedFilteringUpdate ?? UnindexedFilteringUpdate,
        SearchMaxHnswEf = change.SearchMaxHnswEf ?? SearchMaxHnswEf,
        SearchAllowExact = change.SearchAllowExact ?? SearchAllowExact,
        SearchMaxOversampling = change.SearchMaxOversampling ?? SearchMaxOversampling,
        UpsertMaxBatchSize = change.UpsertMaxBatchSize ?? UpsertMaxBatchSize,
        SearchMaxBatchSize = change.SearchMaxBatchSize ?? SearchMaxBatchSize,
        MaxCollectionVectorSizeBytes = change.MaxCollectionVectorSizeBytes ?? MaxCollectionVectorSizeBytes,
        ReadRateLimit = change.ReadRateLimit ?? ReadRateLimit,
        WriteRateLimit = change.WriteRateLimit ?? WriteRateLimit,
        MaxPointsCount = change.MaxPointsCount ?? MaxPointsCount,
        MaxCollectionPayloadSizeBytes = change.MaxCollectionPayloadSizeBytes ?? MaxCollectionPayloadSizeBytes,
        FilterMaxConditions = change.FilterMaxConditions ?? FilterMaxConditions,
        ConditionMaxSize = change.ConditionMaxSize ?? ConditionMaxSize,
        MultivectorMaxVectors = change.MultivectorMaxVectors ?? MultivectorMaxVectors,
        SparseMaxLength = change.SparseMaxLength ?? SparseMaxLength,
        MaxPayloadIndexCount = change.MaxPayloadIndexCount ?? MaxPayloadIndexCount,
    };
}
