namespace VectorDb;

/// <summary>
/// How similarity between two vectors is measured. Names and score conventions follow Qdrant:
/// <see cref="Cosine"/> and <see cref="Dot"/> scores are similarities (higher is better);
/// <see cref="Euclid"/> and <see cref="Manhattan"/> scores are distances (lower is better).
/// </summary>
public enum DistanceMetric
{
    /// <summary>Cosine similarity. Vectors are L2-normalised on insert and compared by dot product.</summary>
    Cosine,

    /// <summary>Dot (inner) product; higher is more similar.</summary>
    Dot,

    /// <summary>Euclidean (L2) distance; the score is the distance, not its square.</summary>
    Euclid,

    /// <summary>Manhattan (L1) distance.</summary>
    Manhattan,
}
