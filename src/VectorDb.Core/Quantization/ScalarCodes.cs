using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using VectorDb.Distance;

namespace VectorDb.Quantization;

/// <summary>
/// A fitted scalar quantizer: component x is stored as the 7-bit code c = round((x − <see cref="Lower"/>) / <see cref="Step"/>),
/// clipped to 0..127, so x ≈ Lower + Step·c. Every metric's distance then reduces to one integer kernel plus
/// corrections kept with each row and query:
/// dot: x·q ≈ d·L² + L·S·(Σcₓ + Σc_q) + S²·Σcₓc_q; squared L2: S²·(Σcₓ² + Σc_q² − 2Σcₓc_q); L1: S·Σ|cₓ − c_q|.
/// </summary>
/// <remarks>
/// The kernels read <see cref="CodeBytes"/> codes per row: the dimension rounded up to 16. A stored row keeps its
/// correction (float32) right after its d codes, in that padding when it has room, and is <see cref="RowBytes"/> long
/// (d + 4 rounded up to 16; no correction for L1): the query's row is zero there, so the dot kernel adds nothing for
/// it. A query's row is zero-padded to <see cref="CodeBytes"/>, then holds its correction and the multiplier of the
/// integer sum. One range for all components, as Qdrant's int8 quantization: the codes are then comparable between
/// dimensions and one multiply turns the integer sum into the distance.
/// </remarks>
internal sealed class ScalarCodes
{
    // Rows drawn to fit the range, at most: enough values for stable quantiles at any dimension.
    private const int MaxSampleValues = 1 << 21;

    public ScalarCodes(DistanceMetric metric, int dimensions, float lower, float step)
    {
        if (!(float.IsFinite(lower) && float.IsFinite(step) && step > 0))
        {
            throw new InvalidDataException($"Scalar quantization range is invalid (lower {lower}, step {step}).");
        }

        Metric = metric;
        Dimensions = dimensions;
        Lower = lower;
        Step = step;
        CodeBytes = (dimensions + 15) & ~15;
        RowBytes = metric == DistanceMetric.Manhattan ? CodeBytes : (dimensions + sizeof(float) + 15) & ~15;
        QueryBytes = CodeBytes + (2 * sizeof(float));
    }

    public DistanceMetric Metric { get; }

    public int Dimensions { get; }

    /// <summary>The value code 0 stands for.</summary>
    public float Lower { get; }

    /// <summary>The value between consecutive codes.</summary>
    public float Step { get; }

    /// <summary>Codes per row: the dimension rounded up to 16.</summary>
    public int CodeBytes { get; }

    /// <summary>Bytes per stored code row, with its correction and padding.</summary>
    public int RowBytes { get; }

    /// <summary>Bytes of a query's code row, with its correction and multiplier.</summary>
    public int QueryBytes { get; }

    /// <summary>The code bytes of a dimension: what the distance kernels read of a row before its correction.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static nuint PaddedLength(nuint dimensions) => (dimensions + 15) & ~(nuint)15;

    /// <summary>How many rows of <paramref name="available"/> a fit samples.</summary>
    public static int SampleRows(int dimensions, int available) => Math.Min(available, Math.Max(1, MaxSampleValues / dimensions));

    /// <summary>
    /// Fits the range to sampled component values: the central <paramref name="quantile"/> of them (all, when null).
    /// <paramref name="values"/> is reordered.
    /// </summary>
    public static ScalarCodes Fit(DistanceMetric metric, int dimensions, float? quantile, Span<float> values)
    {
        float lower = 0, upper = 0;
        if (values.Length > 0)
        {
            values.Sort();
            double q = quantile ?? 1.0;
            int last = values.Length - 1;
            lower = values[(int)Math.Floor((1 - q) / 2 * last)];
            upper = values[(int)Math.Ceiling((1 + q) / 2 * last)];
        }

        float step = upper > lower ? (upper - lower) / CodeMath.MaxCode : 1f;
        return new ScalarCodes(metric, dimensions, lower, step);
    }

    /// <summary>Writes the code row of a stored vector (normalised already, for cosine).</summary>
    public void EncodeRow(ReadOnlySpan<float> vector, Span<byte> row) => Encode(vector, row, query: false);

    /// <summary>Writes the code row of a prepared query: its codes, its correction and the multiplier.</summary>
    public void EncodeQuery(ReadOnlySpan<float> query, Span<byte> row) => Encode(query, row, query: true);

    private void Encode(ReadOnlySpan<float> vector, Span<byte> row, bool query)
    {
        row[..(query ? QueryBytes : RowBytes)].Clear();
        float inverse = 1f / Step;
        long sum = 0, squares = 0;
        for (int i = 0; i < vector.Length; i++)
        {
            int code = (int)Math.Clamp(MathF.Round((vector[i] - Lower) * inverse), 0, CodeMath.MaxCode);
            row[i] = (byte)code;
            sum += code;
            squares += code * code;
        }

        float correction, multiplier;
        switch (Metric)
        {
            case DistanceMetric.Euclid:
                correction = (float)((double)Step * Step * squares);
                multiplier = -2 * Step * Step;
                break;
            case DistanceMetric.Manhattan:
                correction = 0;
                multiplier = Step;
                break;
            default: // the distance is −(x·q)
                correction = -(float)((double)Lower * Step * sum + (0.5 * Dimensions * Lower * Lower));
                multiplier = -Step * Step;
                break;
        }

        if (query)
        {
            MemoryMarshal.Write(row[CodeBytes..], correction);
            MemoryMarshal.Write(row[(CodeBytes + sizeof(float))..], multiplier);
        }
        else if (Metric != DistanceMetric.Manhattan)
        {
            MemoryMarshal.Write(row[Dimensions..], correction);
        }
    }
}

/// <summary>
/// The distance between a query's code row and a stored code row, for the metrics whose integer part is a dot
/// product (dot, cosine, L2): multiplier · Σ cₓc_q + both corrections. The query is passed as its code row.
/// </summary>
internal readonly struct ScalarDotCodeDistance : IDistanceFunction
{
    public static int ElementBytes => 1;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Compute(ref float query, ref byte row, nuint length)
    {
        ref byte codes = ref Unsafe.As<float, byte>(ref query);
        nuint padded = ScalarCodes.PaddedLength(length);
        int sum = CodeMath.Dot7(ref codes, ref row, padded);
        return (Unsafe.ReadUnaligned<float>(ref Unsafe.Add(ref codes, padded + sizeof(float))) * sum)
            + Unsafe.ReadUnaligned<float>(ref Unsafe.Add(ref codes, padded))
            + Unsafe.ReadUnaligned<float>(ref Unsafe.Add(ref row, length));
    }
}

/// <summary>L1 between code rows: step · Σ |cₓ − c_q|.</summary>
internal readonly struct ScalarL1CodeDistance : IDistanceFunction
{
    public static int ElementBytes => 1;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Compute(ref float query, ref byte row, nuint length)
    {
        ref byte codes = ref Unsafe.As<float, byte>(ref query);
        nuint padded = ScalarCodes.PaddedLength(length);
        return Unsafe.ReadUnaligned<float>(ref Unsafe.Add(ref codes, padded + sizeof(float))) * CodeMath.AbsoluteDifference(ref codes, ref row, padded);
    }
}
