using VectorDb.Hnsw;

namespace VectorDb;

/// <summary>How a collection is created. Immutable once the collection exists.</summary>
public sealed record CollectionOptions
{
    /// <summary>Largest vector dimension accepted.</summary>
    public const int MaxDimensions = 65536;

    /// <summary>Vector dimension, 1..<see cref="MaxDimensions"/>. Required.</summary>
    public required int Dimensions { get; init; }

    /// <summary>Distance metric. Default cosine, as in most embedding models.</summary>
    public DistanceMetric Distance { get; init; } = DistanceMetric.Cosine;

    /// <summary>HNSW links per node (layer 0 keeps 2·M). Default 16.</summary>
    public int M { get; init; } = 16;

    /// <summary>HNSW beam width while building. Default 100.</summary>
    public int EfConstruction { get; init; } = 100;

    /// <summary>Throws <see cref="InvalidRequestException"/> when an option is out of range.</summary>
    public void Validate()
    {
        if (Dimensions is < 1 or > MaxDimensions)
        {
            throw new InvalidRequestException($"Vector dimension must be between 1 and {MaxDimensions}, got {Dimensions}.");
        }

        if (!Enum.IsDefined(Distance))
        {
            throw new InvalidRequestException($"Unknown distance metric {Distance}.");
        }

        ToHnswParameters().Validate();
    }

    internal HnswParameters ToHnswParameters() => new() { M = M, EfConstruction = EfConstruction };
}

/// <summary>Per-query search options.</summary>
public sealed record SearchOptions
{
    /// <summary>Default options: approximate search with the collection's default beam width.</summary>
    public static SearchOptions Default { get; } = new();

    /// <summary>Beam width of the graph search; higher is more accurate and slower. Null means the
    /// collection's <see cref="CollectionOptions.EfConstruction"/>, as in Qdrant. Raised to k if smaller.</summary>
    public int? Ef { get; init; }

    /// <summary>Scan every vector instead of using the graph: exact results, linear cost.</summary>
    public bool Exact { get; init; }

    /// <summary>Include payloads in the hits.</summary>
    public bool WithPayload { get; init; }

    /// <summary>Include stored vectors in the hits.</summary>
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
    /// Adaptive-dimension search (AdANNS): walk the graph comparing only a prefix of each vector, then rescore
    /// a shortlist with the whole vector. For Matryoshka embeddings and PCA-rotated vectors, whose leading
    /// dimensions carry most of the signal; see docs/adaptive.md. Not combined with a filter or exact search yet.
    /// </summary>
    public AdaptiveSearch? Adaptive { get; init; }
}

/// <summary>How an adaptive-dimension search walks and rescores: give <see cref="SearchDimensions"/> (and
/// <see cref="Oversampling"/>), or <see cref="TargetRecall"/> to let the collection choose.</summary>
public sealed record AdaptiveSearch
{
    /// <summary>Leading dimensions the graph walk compares (1..the collection's dimension).</summary>
    public int? SearchDimensions { get; init; }

    /// <summary>Shortlist size as a multiple of k (1..100), rescored with the whole vector; the beam is at least this wide.</summary>
    public int Oversampling { get; init; } = 4;

    /// <summary>
    /// Recall@k to reach (0..1]: the collection picks the prefix, oversampling and beam width that reach it at the
    /// lowest measured cost, by calibrating on a sample of its own points against exact results. The choice is
    /// cached per (target, k) and made again when the collection has doubled or halved since.
    /// </summary>
    public double? TargetRecall { get; init; }
}
