namespace VectorDb;

/// <summary>
/// How a dense vector's graph keeps compressed codes of its rows beside them: searches walk the graph on the codes
/// (a quarter of float32's bytes for scalar codes, about a twentieth for one-bit codes of 384 dimensions) and rescore the best candidates
/// with the stored rows. Qdrant's <c>quantization_config</c>.
/// </summary>
public abstract record QuantizationOptions
{
    /// <summary>Qdrant's <c>always_ram</c>: codes are always kept in RAM here, which true asks for and false allows; kept so the configuration reads back as given.</summary>
    public bool? AlwaysRam { get; init; }

    /// <summary>The settings the codes depend on: equal for options whose codes are the same.</summary>
    internal QuantizationOptions Fitted => this with { AlwaysRam = null };

    /// <summary>Throws <see cref="InvalidRequestException"/> when a setting is out of range.</summary>
    public abstract void Validate();
}

/// <summary>
/// Scalar int8 quantization (Qdrant's <c>scalar</c> with <c>type: int8</c>): every component becomes a 7-bit code over
/// a range fitted on a sample of the rows and clipped at the <see cref="Quantile"/> — a range per dimension for dot and
/// cosine, one for all dimensions for Euclid and Manhattan.
/// </summary>
public sealed record ScalarQuantizationOptions : QuantizationOptions
{
    /// <summary>
    /// The share of component values the range covers, 0.5–1: the rest (half below, half above) are clipped to its
    /// ends. Null covers every value (Qdrant's default).
    /// </summary>
    public float? Quantile { get; init; }

    /// <inheritdoc />
    public override void Validate()
    {
        if (Quantile is { } quantile && !(quantile is >= 0.5f and <= 1f))
        {
            throw new InvalidRequestException($"quantization_config.scalar.quantile must be between 0.5 and 1, got {quantile}.");
        }
    }
}

/// <summary>
/// Binary quantization (Qdrant's <c>binary</c>): a row's offset from the centroid, randomly rotated into a power of two
/// of at least its dimensions, keeps one, one and a half or two bits per component and a length correction
/// (RaBitQ-style), so a 384-d row is 80, 112 or 144 bytes. Searches compare the query, itself quantized to <see cref="QueryEncoding"/>, with popcounts,
/// and rescore with the stored rows; without rescoring the scores are rough. For embeddings (dot and cosine) and
/// squared L2; not for Manhattan.
/// </summary>
public sealed record BinaryQuantizationOptions : QuantizationOptions
{
    /// <summary>Bits per component of a stored row.</summary>
    public BinaryEncoding Encoding { get; init; } = BinaryEncoding.OneBit;

    /// <summary>How the query is quantized for the comparison.</summary>
    public BinaryQueryEncoding QueryEncoding { get; init; } = BinaryQueryEncoding.Default;

    /// <inheritdoc />
    public override void Validate()
    {
        if (!Enum.IsDefined(Encoding) || !Enum.IsDefined(QueryEncoding))
        {
            throw new InvalidRequestException($"Unknown binary quantization encoding {Encoding}/{QueryEncoding}.");
        }
    }
}

/// <summary>Bits per component of a binary-quantized row (Qdrant's <c>encoding</c>).</summary>
public enum BinaryEncoding
{
    /// <summary>One bit: the sign of each rotated component (Qdrant's <c>one_bit</c>).</summary>
    OneBit,

    /// <summary>Two bits: four even levels of each rotated component (Qdrant's <c>two_bits</c>).</summary>
    TwoBits,

    /// <summary>
    /// One and a half bits: four even levels for half the rotated components, the sign for the other half (Qdrant's
    /// <c>one_and_half_bits</c>): a 384-d row is 112 bytes.
    /// </summary>
    OneAndHalfBits,
}

/// <summary>How a query is quantized to compare with binary rows (Qdrant's <c>query_encoding</c>).</summary>
public enum BinaryQueryEncoding
{
    /// <summary>As the rows are: one bit per component for one-bit rows, two for two-bit rows (Qdrant's <c>default</c>).</summary>
    Default,

    /// <summary>One bit per component (Qdrant's <c>binary</c>).</summary>
    Binary,

    /// <summary>Four bits per component: four times the popcounts, much closer scores; the one to use (Qdrant's <c>scalar4bits</c>).</summary>
    Scalar4Bits,

    /// <summary>Eight bits per component (Qdrant's <c>scalar8bits</c>).</summary>
    Scalar8Bits,
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
    /// How many candidates, as a multiple of the number asked for, are rescored with the stored rows (≥ 1). The walk's
    /// beam is widened to hold them. Null: scalar codes rescore as many as asked for; binary codes rescore the beam's
    /// candidates while their error bounds leave them a chance of the top k.
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
