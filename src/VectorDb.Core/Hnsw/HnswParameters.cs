namespace VectorDb.Hnsw;

/// <summary>Construction parameters of an HNSW graph (Malkov &amp; Yashunin).</summary>
public sealed record HnswParameters
{
    /// <summary>Largest M accepted: beyond it link lists stop fitting in cache and recall no longer improves.</summary>
    public const int MaxM = 128;

    /// <summary>Links per node on the upper layers; layer 0 keeps 2·M. Default 16, as in hnswlib and Qdrant.</summary>
    public int M { get; init; } = 16;

    /// <summary>Beam width while inserting; higher builds a better graph, slower. Default 100, as in Qdrant.</summary>
    public int EfConstruction { get; init; } = 100;

    /// <summary>How vectors are stored in the graph (queries stay float32). Default <see cref="VectorDataType.Float32"/>.</summary>
    public VectorDataType DataType { get; init; } = VectorDataType.Float32;

    /// <summary>Seed of the level generator, so a single-threaded build is reproducible.</summary>
    public ulong Seed { get; init; } = 42;

    /// <summary>Throws <see cref="InvalidRequestException"/> when a parameter is out of range.</summary>
    public void Validate()
    {
        if (M is < 2 or > MaxM)
        {
            throw new InvalidRequestException($"HNSW m must be between 2 and {MaxM}, got {M}.");
        }

        if (EfConstruction is < 4 or > 4096)
        {
            throw new InvalidRequestException($"HNSW ef construction must be between 4 and 4096, got {EfConstruction}.");
        }

        if (!Enum.IsDefined(DataType))
        {
            throw new InvalidRequestException($"Unknown vector data type {DataType}.");
        }
    }
}
