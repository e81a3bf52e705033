namespace VectorDb;

/// <summary>
/// How a dense vector's graph keeps compressed codes of its rows beside them: searches walk the graph on the codes
/// (a quarter of float32's bytes for scalar codes) and rescore the best candidates with the stored rows. Qdrant's
/// <c>quantization_config</c>.
/// </summary>
public abstract record QuantizationOptions;

/// <summary>
/// Scalar int8 quantization: every component becomes a 7-bit code over one range for the whole vector space, fitted
/// on a sample of its rows and clipped at the <see cref="Quantile"/> (Qdrant's <c>scalar</c> with <c>type: int8</c>).
/// </summary>
public sealed record ScalarQuantizationOptions : QuantizationOptions
{
    /// <summary>
    /// The share of component values the range covers, 0.5–1: the rest (half below, half above) are clipped to its
    /// ends. Null covers every value (Qdrant's default).
    /// </summary>
    public float? Quantile { get; init; }

    /// <summary>
    /// Qdrant's <c>always_ram</c>. Codes are always kept in RAM here, which is what true asks for and what false
    /// allows; the setting is kept so the configuration reads back as given.
    /// </summary>
    public bool? AlwaysRam { get; init; }

    /// <summary>Throws <see cref="InvalidRequestException"/> when a setting is out of range.</summary>
    public void Validate()
    {
        if (Quantile is { } quantile && !(quantile is >= 0.5f and <= 1f))
        {
            throw new InvalidRequestException($"quantization_config.scalar.quantile must be between 0.5 and 1, got {quantile}.");
        }
    }
}

/// <summary>
/// How one search uses a quantized vector's codes (Qdrant's search params <c>quantization</c>). The default walks
/// the codes and rescores <c>limit</c> candidates with the stored rows.
/// </summary>
public readonly record struct QuantizationSearch
{
    /// <summary>Walk the stored rows, not the codes.</summary>
    public bool Ignore { get; init; }

    /// <summary>
    /// False to return the codes' approximate scores without reading the stored rows; null or true rescores. Qdrant's
    /// <c>rescore</c>, which defaults to true.
    /// </summary>
    public bool? Rescore { get; init; }

    /// <summary>
    /// How many candidates, as a multiple of the number asked for, are rescored with the stored rows (≥ 1; null: 1).
    /// The walk's beam is widened to hold them.
    /// </summary>
    public double? Oversampling { get; init; }

    /// <summary>The candidates to rescore for <paramref name="k"/> results (k when not rescoring).</summary>
    public int Candidates(int k) =>
        Rescore == false ? k : (int)Math.Min(int.MaxValue / 2, Math.Ceiling(k * Math.Max(1.0, Oversampling ?? 1.0)));

    /// <summary>Throws <see cref="InvalidRequestException"/> when a setting is out of range.</summary>
    public void Validate()
    {
        if (Oversampling is { } oversampling && !(oversampling >= 1.0 && double.IsFinite(oversampling)))
        {
            throw new InvalidRequestException($"quantization.oversampling must be at least 1, got {oversampling}.");
        }
    }
}
