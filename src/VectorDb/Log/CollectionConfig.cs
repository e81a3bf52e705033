using MessagePack;

namespace VectorDb.Log;

/// <summary>The settings a collection was created with, as logged and as checkpoint manifests hold them.</summary>
[MessagePackObject]
internal sealed record CollectionConfig(
    [property: Key(0)] int Dimensions,
    [property: Key(1)] DistanceMetric Distance,
    [property: Key(2)] int M,
    [property: Key(3)] int EfConstruction,
    [property: Key(4)] int[]? Matryoshka = null,
    [property: Key(5)] PcaConfig? Pca = null,
    [property: Key(6)] VectorDataType DataType = VectorDataType.Float32,
    [property: Key(7)] bool PayloadLinks = true, // logs written before value links have seven fields
    [property: Key(8)] string? MetadataJson = null, // and before collection metadata, eight
    [property: Key(9)] Dictionary<string, DenseVectorConfig>? NamedVectors = null, // and before named vectors, nine
    [property: Key(10)] Dictionary<string, SparseVectorConfig>? SparseVectors = null,
    [property: Key(11)] string? StrictModeJson = null, // and before sparse vectors, eleven
    [property: Key(12)] int? FullScanThreshold = null, // and before strict mode, twelve
    [property: Key(13)] int? LinkCapacity = null, // and before full-scan thresholds, thirteen
    [property: Key(14)] QuantizationConfig? Quantization = null, // and before link capacities, fourteen
    [property: Key(15)] MemoryTier Memory = MemoryTier.Pinned, // and before quantization, fifteen
    [property: Key(16)] PrefixTierConfig? PrefixTier = null) // and before memory tiers, sixteen
{
    public static CollectionConfig From(CollectionOptions options) => new(
        options.Dimensions,
        options.Distance,
        options.M,
        options.EfConstruction,
        options.Matryoshka is { } prefixes ? [.. prefixes] : null,
        options.Pca is { } pca ? new PcaConfig(options.PcaDimensions!.Value, pca.FitAtPoints, pca.SamplePoints) : null,
        options.DataType,
        options.PayloadLinks,
        options.Metadata?.ToJson(),
        options.NamedVectors?.ToDictionary(v => v.Key, v => DenseVectorConfig.From(v.Value), StringComparer.Ordinal),
        options.SparseVectors?.ToDictionary(v => v.Key, v => SparseVectorConfig.From(v.Value), StringComparer.Ordinal),
        options.StrictMode is { } strict ? System.Text.Json.JsonSerializer.Serialize(strict) : null,
        options.FullScanThreshold,
        options.LinkCapacity,
        QuantizationConfig.From(options.Quantization),
        options.Memory,
        PrefixTierConfig.From(options.PrefixTier));

    public CollectionOptions ToOptions() => new()
    {
        Dimensions = Dimensions,
        Distance = Distance,
        M = M,
        EfConstruction = EfConstruction,
        Matryoshka = Matryoshka,
        DataType = DataType,
        PayloadLinks = PayloadLinks,
        Metadata = MetadataJson is null ? null : Payload.Parse(MetadataJson),
        Pca = Pca is { } pca ? new PcaOptions { Dimensions = pca.Dimensions, FitAtPoints = pca.FitAtPoints, SamplePoints = pca.SamplePoints } : null,
        NamedVectors = NamedVectors?.ToDictionary(v => v.Key, v => v.Value.ToOptions(), StringComparer.Ordinal),
        SparseVectors = SparseVectors?.ToDictionary(v => v.Key, v => v.Value.ToOptions(), StringComparer.Ordinal),
        StrictMode = StrictModeJson is null ? null : System.Text.Json.JsonSerializer.Deserialize<StrictModeOptions>(StrictModeJson),
        FullScanThreshold = FullScanThreshold,
        LinkCapacity = LinkCapacity,
        Quantization = Quantization?.ToOptions(),
        Memory = Memory,
        PrefixTier = PrefixTier?.ToOptions(),
    };
}

/// <summary>A vector's prefix tier as persisted: the prefix kept in RAM and the oversampling of its searches.</summary>
[MessagePackObject]
internal sealed record PrefixTierConfig([property: Key(0)] int Dimensions, [property: Key(1)] int Oversampling)
{
    public static PrefixTierConfig? From(PrefixTierOptions? options) => options is null ? null : new(options.Dimensions, options.Oversampling);

    public PrefixTierOptions ToOptions() => new() { Dimensions = Dimensions, Oversampling = Oversampling };
}

/// <summary>A named dense vector's settings as persisted.</summary>
[MessagePackObject]
internal sealed record DenseVectorConfig(
    [property: Key(0)] int Dimensions,
    [property: Key(1)] DistanceMetric Distance,
    [property: Key(2)] int M,
    [property: Key(3)] int EfConstruction,
    [property: Key(4)] VectorDataType DataType,
    [property: Key(5)] int[]? Matryoshka,
    [property: Key(6)] MultivectorComparator? Multivector = null,
    [property: Key(7)] QuantizationConfig? Quantization = null,
    [property: Key(8)] MemoryTier Memory = MemoryTier.Pinned,
    [property: Key(9)] PrefixTierConfig? PrefixTier = null)
{
    public static DenseVectorConfig From(DenseVectorOptions options) =>
        new(options.Dimensions, options.Distance, options.M, options.EfConstruction, options.DataType, options.Matryoshka is { } prefixes ? [.. prefixes] : null, options.Multivector,
            QuantizationConfig.From(options.Quantization), options.Memory, PrefixTierConfig.From(options.PrefixTier));

    public DenseVectorOptions ToOptions() => new()
    {
        Dimensions = Dimensions,
        Distance = Distance,
        M = M,
        EfConstruction = EfConstruction,
        DataType = DataType,
        Matryoshka = Matryoshka,
        Multivector = Multivector,
        Quantization = Quantization?.ToOptions(),
        Memory = Memory,
        PrefixTier = PrefixTier?.ToOptions(),
    };
}

/// <summary>A vector's quantization settings as persisted: the kind (0 = scalar int8, 1 = binary) and its settings.</summary>
[MessagePackObject]
internal sealed record QuantizationConfig(
    [property: Key(0)] int Kind,
    [property: Key(1)] float? Quantile = null,
    [property: Key(2)] bool? AlwaysRam = null,
    [property: Key(3)] BinaryEncoding Encoding = BinaryEncoding.OneBit,
    [property: Key(4)] BinaryQueryEncoding QueryEncoding = BinaryQueryEncoding.Default)
{
    private const int Scalar = 0;
    private const int Binary = 1;

    public static QuantizationConfig? From(QuantizationOptions? options) => options switch
    {
        null => null,
        ScalarQuantizationOptions scalar => new(Scalar, scalar.Quantile, scalar.AlwaysRam),
        BinaryQuantizationOptions binary => new(Binary, null, binary.AlwaysRam, binary.Encoding, binary.QueryEncoding),
        _ => throw new InvalidRequestException($"Quantization {options.GetType().Name} cannot be stored."),
    };

    public QuantizationOptions ToOptions() => Kind switch
    {
        Scalar => new ScalarQuantizationOptions { Quantile = Quantile, AlwaysRam = AlwaysRam },
        Binary => new BinaryQuantizationOptions { Encoding = Encoding, QueryEncoding = QueryEncoding, AlwaysRam = AlwaysRam },
        _ => throw new InvalidDataException($"Unknown quantization kind {Kind} in a stored configuration."),
    };
}

/// <summary>A sparse vector's settings as persisted.</summary>
[MessagePackObject]
internal sealed record SparseVectorConfig([property: Key(0)] bool Idf)
{
    public static SparseVectorConfig From(SparseVectorOptions options) => new(options.Idf);

    public SparseVectorOptions ToOptions() => new() { Idf = Idf };
}

/// <summary>A collection's PCA settings as persisted (dimensions resolved from their default).</summary>
[MessagePackObject]
internal sealed record PcaConfig(
    [property: Key(0)] int Dimensions,
    [property: Key(1)] int FitAtPoints,
    [property: Key(2)] int SamplePoints);
