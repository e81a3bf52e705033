using System.Text.Json;
using System.Text.Json.Serialization;

namespace VectorDb.Server.Api;

// The results of the REST API, in Qdrant's shapes (snake_case through ServerJson). Fields a Qdrant server always
// writes are written even when null; fields of ours (explain, order_value) only when present.

/// <summary>Result of a write: Qdrant's operation id (ours is always 0) and whether the write was awaited.</summary>
internal sealed record UpdateResult(long OperationId, string Status);

/// <summary><c>GET /collections</c>.</summary>
internal sealed record CollectionsResponse(IReadOnlyList<CollectionDescription> Collections);

/// <summary>One collection in <see cref="CollectionsResponse"/>.</summary>
internal sealed record CollectionDescription(string Name);

/// <summary><c>GET /collections/{name}/exists</c>.</summary>
internal sealed record CollectionExistence(bool Exists);

/// <summary><c>GET /collections/{name}</c>: counts, configuration and payload indexes.</summary>
internal sealed record CollectionInfo(
    string Status, string OptimizerStatus, long PointsCount, long IndexedVectorsCount, int SegmentsCount,
    CollectionConfigInfo Config, IReadOnlyDictionary<string, PayloadIndexInfo> PayloadSchema);

/// <summary>The <c>config</c> of <see cref="CollectionInfo"/>; the optimiser and WAL settings are fixed.</summary>
internal sealed record CollectionConfigInfo(
    CollectionParamsInfo Params, HnswConfigInfo HnswConfig, OptimizerConfigInfo OptimizerConfig, WalConfigInfo WalConfig, JsonElement? Metadata)
{
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public StrictModeConfig? StrictModeConfig { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public QuantizationConfigInfo? QuantizationConfig { get; init; }
}

/// <summary>The <c>params</c> of a collection: one unnamed vector, one shard, one replica.</summary>
internal sealed record CollectionParamsInfo(object Vectors, int ShardNumber, int ReplicationFactor, int WriteConsistencyFactor, bool OnDiskPayload)
{
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public Dictionary<string, SparseVectorParamsInfo>? SparseVectors { get; init; }
}

/// <summary>A sparse vector's parameters: Qdrant's <c>modifier</c>.</summary>
internal sealed record SparseVectorParamsInfo(string Modifier);

/// <summary>The parameters of a collection's vector.</summary>
internal sealed record VectorParamsInfo(int Size, string Distance, string Datatype)
{
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public MultivectorConfigInfo? MultivectorConfig { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public VectorHnswConfigInfo? HnswConfig { get; init; }

    /// <summary>A named vector's Matryoshka prefixes (ours).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<int>? Matryoshka { get; init; }

    /// <summary>A named vector's prefix tier (ours).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public PrefixTierInfo? PrefixTier { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public QuantizationConfigInfo? QuantizationConfig { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public bool? OnDisk { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Memory { get; init; }
}

/// <summary>A named vector's own graph parameters, when they differ from the collection's.</summary>
internal sealed record VectorHnswConfigInfo(int M, int EfConstruct);

/// <summary>A multivector's comparator, as Qdrant shows it.</summary>
internal sealed record MultivectorConfigInfo(string Comparator);

/// <summary>The graph's parameters; <c>full_scan_threshold</c> is 0 when none is set (the cost model plans every search).</summary>
internal sealed record HnswConfigInfo(int M, int EfConstruct, int FullScanThreshold, bool OnDisk, int PayloadM);

/// <summary>Qdrant's optimiser settings, reported with their defaults: there are no segments to optimise.</summary>
internal sealed record OptimizerConfigInfo(double DeletedThreshold, int VacuumMinVectorNumber, int DefaultSegmentNumber, int FlushIntervalSec);

/// <summary>Qdrant's WAL settings, reported with their defaults: the database has one log for every collection.</summary>
internal sealed record WalConfigInfo(int WalCapacityMb, int WalSegmentsAhead);

/// <summary>A payload index of <see cref="CollectionInfo"/>; <c>params</c> only for a tenant or text index.</summary>
internal sealed record PayloadIndexInfo(string DataType, long Points)
{
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public PayloadIndexParamsInfo? Params { get; init; }
}

/// <summary>The object form of a payload index's schema: a tenant index's flag, or a text index's analysis.</summary>
internal sealed record PayloadIndexParamsInfo(string Type)
{
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public bool? IsTenant { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Tokenizer { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? MinTokenLen { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? MaxTokenLen { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public bool? Lowercase { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public bool? PhraseMatching { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public StopwordsInfo? Stopwords { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public StemmerInfo? Stemmer { get; init; }
}

/// <summary>A text index's stop words, listed.</summary>
internal sealed record StopwordsInfo(IReadOnlyList<string> Custom);

/// <summary>A text index's stemmer.</summary>
internal sealed record StemmerInfo(string Type, string Language);

/// <summary>
/// <c>GET /collections/{name}/adaptive</c> (ours): the unnamed vector's adaptive settings and its RAM by tier (the
/// prefix searches walk, the graph, rows or their checksums, codes) beside the bytes of its vectors on disk.
/// </summary>
internal sealed record AdaptiveInfo(int Dims, IReadOnlyList<int>? Matryoshka, PcaInfo? Pca, PrefixTierInfo? PrefixTier, AdaptiveMemoryInfo? Memory);

/// <summary>A vector's prefix tier: the prefix kept in RAM and walked, and its searches' oversampling.</summary>
internal sealed record PrefixTierInfo(int Dims, int Oversampling);

/// <summary>A dense vector's bytes in RAM by component and in total, and on disk (whose used part the OS page cache holds).</summary>
internal sealed record AdaptiveMemoryInfo(long PrefixBytes, long GraphBytes, long RowBytes, long CodeBytes, long RamBytes, long DiskBytes);

/// <summary>A collection's PCA options and its fitted rotation, if any.</summary>
internal sealed record PcaInfo(int Dims, int FitAt, int Sample, bool Fitted, double? ExplainedVariance, string? FitError);

/// <summary><c>POST /collections/{name}/adaptive/pca</c> (ours): the rotation just fitted.</summary>
internal sealed record PcaFitResponse(int Dims, double ExplainedVariance, int? Sample);

/// <summary>A stored point: retrieve and scroll. <c>order_value</c> (an ordered scroll's key) only when ordered.</summary>
internal sealed record PointResponse(
    PointId Id, Dictionary<string, JsonElement>? Payload, object? Vector)
{
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? OrderValue { get; init; }
}

/// <summary>A page of a scroll and the offset of the next one.</summary>
internal sealed record ScrollResponse(
    IReadOnlyList<PointResponse> Points, PointId? NextPageOffset);

/// <summary><c>POST …/points/count</c>.</summary>
internal sealed record CountResponse(long Count);

/// <summary>A search hit; <c>version</c> is Qdrant's point version, always 0 here.</summary>
internal sealed record ScoredPointResponse(
    PointId Id, int Version, float Score, Dictionary<string, JsonElement>? Payload, object? Vector)
{
    /// <summary>The payload value an order-by query ordered the point by.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? OrderValue { get; init; }
}

/// <summary><c>POST …/points/query</c>: the hits, and our explain when asked for.</summary>
internal sealed record QueryResponse(IReadOnlyList<ScoredPointResponse> Points)
{
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public QueryExplainInfo? Explain { get; init; }
}

/// <summary>How one stage of a universal query ran (ours): what it did, the points it scored and passed on, its search plan, its prefetches.</summary>
internal sealed record QueryExplainInfo(string Stage, string Using, int Candidates, int Returned, ExplainInfo? Search, IReadOnlyList<QueryExplainInfo>? Prefetch);

/// <summary>How a search ran (ours, <c>params.explain</c>): the planner's choice, its estimates and the work done.</summary>
internal sealed record ExplainInfo(
    string Strategy, string Reason, EstimateInfo? Estimate, int? Matches, IReadOnlyDictionary<string, double> EstimatedCostUs,
    long DistanceComputations, long NodesVisited, string? FallbackFrom, int Ef, int? SearchDims, long Rescored);

/// <summary>The planner's estimate of how many points match a filter.</summary>
internal sealed record EstimateInfo(int Min, int Expected, int Max);

/// <summary><c>GET /</c>: the server and the Qdrant API version it follows.</summary>
internal sealed record ServiceInfo(string Title, string Version, string? Commit, string? EngineVersion);

/// <summary>Point ids as Qdrant writes them: integers as JSON numbers, UUIDs as strings.</summary>
internal sealed class PointIdJsonConverter : JsonConverter<PointId>
{
    public override PointId Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        using var document = JsonDocument.ParseValue(ref reader);
        return PointId.FromJson(document.RootElement);
    }

    public override void Write(Utf8JsonWriter writer, PointId value, JsonSerializerOptions options)
    {
        if (value.IsUuid)
        {
            writer.WriteStringValue(value.Uuid.ToString("D"));
        }
        else
        {
            writer.WriteNumberValue(value.Number);
        }
    }
}

/// <summary>A sparse vector as Qdrant returns it.</summary>
internal sealed record SparseVectorResponse(uint[] Indices, float[] Values);
