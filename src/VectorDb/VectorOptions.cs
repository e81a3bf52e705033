namespace VectorDb;

/// <summary>
/// A named dense vector of a collection (Qdrant's <c>vectors: {"name": {...}}</c>): its own dimension, metric, row
/// format and graph. Immutable once the vector exists.
/// </summary>
public sealed record DenseVectorOptions
{
    /// <summary>Vector dimension, 1..<see cref="CollectionOptions.MaxDimensions"/>. Required.</summary>
    public required int Dimensions { get; init; }

    /// <summary>Distance metric. Default cosine.</summary>
    public DistanceMetric Distance { get; init; } = DistanceMetric.Cosine;

    /// <summary>HNSW links per node of this vector's graph. Default 16.</summary>
    public int M { get; init; } = 16;

    /// <summary>HNSW beam width while building this vector's graph, and its searches' default. Default 100.</summary>
    public int EfConstruction { get; init; } = 100;

    /// <summary>How this vector's graph stores its rows. Default <see cref="VectorDataType.Float32"/>.</summary>
    public VectorDataType DataType { get; init; } = VectorDataType.Float32;

    /// <summary>Matryoshka prefixes adaptive searches of this vector may walk (see <see cref="CollectionOptions.Matryoshka"/>).</summary>
    public IReadOnlyList<int>? Matryoshka { get; init; }

    /// <summary>
    /// Each point holds a matrix of vectors of this size (<see cref="Point.Multivectors"/>), scored by this comparator
    /// (Qdrant's <c>multivector_config</c>). Null: one vector per point.
    /// </summary>
    public MultivectorComparator? Multivector { get; init; }

    /// <summary>
    /// This vector's codes (Qdrant's per-vector <c>quantization_config</c>); null takes the collection's
    /// <see cref="CollectionOptions.Quantization"/>.
    /// </summary>
    public QuantizationOptions? Quantization { get; init; }

    /// <summary>Where this vector's stored rows live (see <see cref="CollectionOptions.Memory"/>). Multivectors keep theirs in memory.</summary>
    public MemoryTier Memory { get; init; }

    /// <summary>A prefix of this vector kept in RAM as the tier its searches walk (see <see cref="CollectionOptions.PrefixTier"/>).</summary>
    public PrefixTierOptions? PrefixTier { get; init; }

    /// <summary>The settings a vector space of this vector is built with (a collection's unnamed vector takes the same form).</summary>
    internal CollectionOptions ToSpaceOptions() => new()
    {
        Dimensions = Dimensions,
        Distance = Distance,
        M = M,
        EfConstruction = EfConstruction,
        DataType = DataType,
        Matryoshka = Matryoshka is { } prefixes ? [.. prefixes] : null,
        PayloadLinks = false,
        Quantization = Quantization,
        Memory = Memory,
        PrefixTier = PrefixTier,
    };

    /// <summary>
    /// The settings of this vector's space in a collection whose own quantization is <paramref name="collectionQuantization"/>,
    /// which it takes unless it has its own, is a multivector (none), or walks a prefix tier instead.
    /// </summary>
    internal CollectionOptions ToSpaceOptions(QuantizationOptions? collectionQuantization) =>
        ToSpaceOptions() with { Quantization = Multivector is not null ? null : PrefixTier is not null ? Quantization : Quantization ?? collectionQuantization };

    /// <summary>Throws <see cref="InvalidRequestException"/> when a setting is out of range.</summary>
    public void Validate(string name)
    {
        try
        {
            ToSpaceOptions().Validate();
        }
        catch (InvalidRequestException e)
        {
            throw new InvalidRequestException($"Vector `{name}`: {e.Message}", e);
        }

        if (Multivector is not null && (Quantization is not null || Memory != MemoryTier.Pinned || PrefixTier is not null))
        {
            throw new InvalidRequestException(Quantization is not null
                ? $"Multivector `{name}`: quantization_config is not supported for multivectors."
                : PrefixTier is not null
                ? $"Multivector `{name}`: prefix_tier is not supported for multivectors."
                : $"Multivector `{name}`: multivectors are kept in memory (memory `{Memory.ToString().ToLowerInvariant()}` is not supported for them).");
        }

        if (Multivector is { } comparator && (!Enum.IsDefined(comparator) || Distance is not (DistanceMetric.Cosine or DistanceMetric.Dot) || Matryoshka is not null))
        {
            throw new InvalidRequestException(Matryoshka is not null
                ? $"Multivector `{name}` takes no matryoshka prefixes: adaptive search of multivectors is not built yet."
                : $"Multivector `{name}` scores by MaxSim over similarities: its distance must be Cosine or Dot, got {Distance}.");
        }
    }
}

/// <summary>How a multivector point is scored against a multivector query.</summary>
public enum MultivectorComparator
{
    /// <summary>The sum over the query's vectors of the best similarity to any of the point's (ColBERT's late interaction).</summary>
    MaxSim,
}

/// <summary>A sparse vector of a collection (Qdrant's <c>sparse_vectors: {"name": {...}}</c>), searched through an inverted index.</summary>
public sealed record SparseVectorOptions
{
    /// <summary>
    /// Qdrant's <c>modifier: "idf"</c>: searches weigh each query term by its inverse document frequency over the
    /// collection, ln(1 + (N − df + 0.5)/(df + 0.5)), which with BM25 document weights makes full BM25 scoring.
    /// </summary>
    public bool Idf { get; init; }
}

/// <summary>Checks vector names.</summary>
internal static class VectorNames
{
    /// <summary>The longest vector name accepted.</summary>
    public const int MaxLength = 255;

    /// <exception cref="InvalidRequestException">The name is empty (the unnamed vector's), too long or has control characters.</exception>
    public static void Validate(string name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > MaxLength || name.Any(char.IsControl))
        {
            throw new InvalidRequestException($"A vector name must be 1–{MaxLength} characters without control characters, got \"{name}\".");
        }
    }
}
