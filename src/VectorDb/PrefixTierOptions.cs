namespace VectorDb;

/// <summary>
/// A prefix of every vector as the tier searches walk in RAM, the whole vectors on disk (<see cref="CollectionOptions.Memory"/>
/// <see cref="MemoryTier.Cached"/> or <see cref="MemoryTier.Cold"/>) read only to rescore: searches that do not ask
/// otherwise are adaptive (<see cref="AdaptiveSearch"/>) with <see cref="Dimensions"/> and <see cref="Oversampling"/>.
/// For Matryoshka embeddings (a prefix they were trained for) and PCA collections (a prefix of the principal axes):
/// RAM then holds the graph and the prefix, a quarter or less of what whole float32 vectors take (docs/adaptive.md).
/// </summary>
public sealed record PrefixTierOptions
{
    /// <summary>
    /// The prefix kept in RAM and walked: one of the vector's <see cref="CollectionOptions.Matryoshka"/> prefixes, at most
    /// its <see cref="PcaOptions.Dimensions"/>, or (for other vectors) any length below the whole. Required.
    /// </summary>
    public required int Dimensions { get; init; }

    /// <summary>Candidates rescored with the whole vectors from disk, as a multiple of k (1..100). Default 4.</summary>
    public int Oversampling { get; init; } = 4;

    /// <summary>The adaptive search a search of such a vector runs when it does not ask for one.</summary>
    internal AdaptiveSearch Search => new() { SearchDimensions = Dimensions, Oversampling = Oversampling };

    /// <summary>Throws <see cref="InvalidRequestException"/> unless this tier fits the vector <paramref name="vector"/> describes.</summary>
    internal void Validate(CollectionOptions vector)
    {
        if (Dimensions < 1 || Dimensions >= vector.Dimensions)
        {
            throw new InvalidRequestException($"prefix_tier.dims must be between 1 and {vector.Dimensions - 1} (a prefix shorter than the vector), got {Dimensions}.");
        }

        if (Oversampling is < 1 or > 100)
        {
            throw new InvalidRequestException($"prefix_tier.oversampling must be between 1 and 100, got {Oversampling}.");
        }

        if (vector.Memory == MemoryTier.Pinned)
        {
            throw new InvalidRequestException("prefix_tier keeps a prefix in RAM in place of the vectors, which then live on disk: give on_disk: true (or memory: cached or cold).");
        }

        if (vector.Quantization is not null)
        {
            throw new InvalidRequestException("prefix_tier and quantization_config both choose what searches walk in RAM (a prefix, or codes): give one.");
        }

        if (vector.Matryoshka is { } prefixes && !prefixes.Contains(Dimensions))
        {
            throw new InvalidRequestException($"prefix_tier.dims must be one of the Matryoshka prefixes [{string.Join(", ", prefixes)}], got {Dimensions}.");
        }

        if (vector.PcaDimensions is int axes && Dimensions > axes)
        {
            throw new InvalidRequestException($"prefix_tier.dims must be at most the {axes} principal axes the pca option keeps, got {Dimensions}.");
        }
    }
}
