using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using VectorDb.Distance;

namespace VectorDb.Quantization;

/// <summary>
/// A fitted scalar quantizer. Component i of a stored row becomes the 7-bit code cᵢ = round((xᵢ − Lᵢ) / Sᵢ), clipped to
/// 0..127, so xᵢ ≈ Lᵢ + Sᵢ·cᵢ, over a range clipped at the central quantile of the sampled values. Each metric is one
/// integer kernel plus constants:
/// <list type="bullet">
/// <item>Dot and cosine: a range per dimension, so embeddings whose dimensions differ in spread keep their precision
/// where it matters. The query is not quantized to the rows' ranges: its weights wᵢ = qᵢ·Sᵢ become signed 7-bit codes
/// with one scale α, and x·q ≈ Σ qᵢLᵢ + α·Σ c_qᵢcᵢ (unsigned row codes times signed query codes).</item>
/// <item>Squared L2 and L1: one range for all dimensions, and the query encoded like a row, so the distance is the
/// codes' own: S²·Σ(cₓ − c_q)² = S²·(Σcₓ² + Σc_q² − 2Σcₓc_q), S·Σ|cₓ − c_q|. (Asymmetric codes for L2 lose the
/// distance to cancellation between ‖x‖², ‖q‖² and 2x·q: fashion-mnist's worst code distance was 9 % off, against 5 %.)</item>
/// </list>
/// </summary>
/// <remarks>
/// The kernels read <see cref="CodeBytes"/> codes per row: the dimension rounded up to 16, zero-padded (zero codes add
/// nothing). A squared-L2 row keeps S²·Σcₓ² (float32) right after its d codes, in that padding when there is room
/// (<see cref="RowBytes"/> is d + 4 rounded up to 16): the query's codes are zero there, so the kernel adds nothing for
/// it. A query's row is its codes zero-padded to <see cref="CodeBytes"/>, then its constant and the multiplier of the
/// integer sum.
/// </remarks>
internal sealed class ScalarCodes : CodeBook
{
    private readonly float[] _lower;
    private readonly float[] _step;

    public ScalarCodes(DistanceMetric metric, ScalarQuantizationOptions options, float[] lower, float[] step)
        : base(metric, lower.Length, options)
    {
        if (lower.Length != step.Length || lower.Length == 0 || lower.Any(l => !float.IsFinite(l)) || step.Any(s => !(float.IsFinite(s) && s > 0)))
        {
            throw new InvalidDataException("Scalar quantization ranges are invalid.");
        }

        _lower = lower;
        _step = step;
        CodeBytes = (Dimensions + 15) & ~15;
        RowBytes = metric == DistanceMetric.Euclid ? (Dimensions + sizeof(float) + 15) & ~15 : CodeBytes;
        QueryBytes = CodeBytes + (2 * sizeof(float));
    }

    /// <summary>The value code 0 stands for, per dimension.</summary>
    public ReadOnlySpan<float> Lower => _lower;

    /// <summary>The value between consecutive codes, per dimension.</summary>
    public ReadOnlySpan<float> Step => _step;

    /// <summary>Codes per row the kernels read: the dimension rounded up to 16.</summary>
    public int CodeBytes { get; }

    /// <summary>Bytes per stored code row, with its correction and padding.</summary>
    public override int RowBytes { get; }

    /// <summary>
    /// Rows longer than a cache line are padded to whole lines, so that every row starts at one: at 112 bytes (100
    /// dimensions) three rows in four otherwise start inside a line and the kernel's 64-byte loads split across two
    /// lines, which cost GloVe-100's int8 search about a tenth of its speed (bench/results/aligned-codes/glove-100-int8-runs.json).
    /// </summary>
    public override int AlignedRowBytes => RowBytes > 64 ? (RowBytes + 63) & ~63 : RowBytes;

    /// <summary>Bytes of a query's code row, with its constant and multiplier.</summary>
    public override int QueryBytes { get; }

    /// <summary>The code bytes of a dimension: what the distance kernels read of a row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static nuint PaddedLength(nuint dimensions) => (dimensions + 15) & ~(nuint)15;

    /// <summary>
    /// Fits the ranges to sampled rows (row-major in <paramref name="values"/>, which is reordered): per dimension the
    /// central quantile of its values (all, when none is set) for dot and cosine, one range over all values
    /// for L2 and L1.
    /// </summary>
    public static ScalarCodes Fit(DistanceMetric metric, int dimensions, ScalarQuantizationOptions options, Span<float> values)
    {
        var lower = new float[dimensions];
        var step = new float[dimensions];
        double q = options.Quantile ?? 1.0;
        if (metric is DistanceMetric.Euclid or DistanceMetric.Manhattan)
        {
            var (l, s) = Range(values, q);
            Array.Fill(lower, l);
            Array.Fill(step, s);
        }
        else
        {
            int rows = values.Length / dimensions;
            var column = new float[rows];
            for (int i = 0; i < dimensions; i++)
            {
                for (int r = 0; r < rows; r++)
                {
                    column[r] = values[(r * dimensions) + i];
                }

                (lower[i], step[i]) = Range(column, q);
            }
        }

        return new ScalarCodes(metric, options, lower, step);
    }

    /// <summary>Reads the parameters <see cref="WriteParameters"/> saved.</summary>
    public static ScalarCodes Read(Stream stream, DistanceMetric metric, int dimensions)
    {
        float quantile = ReadFloat(stream);
        var lower = ReadFloats(stream, dimensions);
        var step = ReadFloats(stream, dimensions);
        return new ScalarCodes(metric, new ScalarQuantizationOptions { Quantile = float.IsNaN(quantile) ? null : quantile }, lower, step);
    }

    /// <summary>The quantile (NaN: all values), then each dimension's lower end and step.</summary>
    protected override void WriteParameters(Stream stream)
    {
        WriteFloat(stream, ((ScalarQuantizationOptions)Options).Quantile ?? float.NaN);
        stream.Write(MemoryMarshal.AsBytes(_lower.AsSpan()));
        stream.Write(MemoryMarshal.AsBytes(_step.AsSpan()));
    }

    private static (float Lower, float Step) Range(Span<float> values, double quantile)
    {
        if (values.Length == 0)
        {
            return (0, 1);
        }

        values.Sort();
        int last = values.Length - 1;
        float lower = values[(int)Math.Floor((1 - quantile) / 2 * last)];
        float upper = values[(int)Math.Ceiling((1 + quantile) / 2 * last)];
        return (lower, upper > lower ? (upper - lower) / CodeMath.MaxCode : 1f);
    }

    /// <inheritdoc />
    public override void EncodeRow(ReadOnlySpan<float> vector, Span<byte> row)
    {
        row[..RowBytes].Clear();
        long squares = EncodeOnRange(vector, row);
        if (Metric == DistanceMetric.Euclid)
        {
            MemoryMarshal.Write(row[Dimensions..], (float)((double)_step[0] * _step[0] * squares));
        }
    }

    /// <summary>Codes on the rows' ranges; returns Σc².</summary>
    private long EncodeOnRange(ReadOnlySpan<float> vector, Span<byte> row)
    {
        long squares = 0;
        for (int i = 0; i < Dimensions; i++)
        {
            int code = (int)Math.Clamp(MathF.Round((vector[i] - _lower[i]) / _step[i]), 0, CodeMath.MaxCode);
            row[i] = (byte)code;
            squares += code * code;
        }

        return squares;
    }

    /// <summary>Writes the code row of a prepared query: its codes, its constant and the multiplier of the integer sum.</summary>
    public override void EncodeQuery(ReadOnlySpan<float> query, Span<byte> row)
    {
        row[..QueryBytes].Clear();
        float constant, multiplier;
        if (Metric is DistanceMetric.Euclid or DistanceMetric.Manhattan)
        {
            long squares = EncodeOnRange(query, row);
            float step = _step[0];
            (constant, multiplier) = Metric == DistanceMetric.Euclid ? ((float)((double)step * step * squares), -2 * step * step) : (0, step);
        }
        else
        {
            float largest = 0;
            double offset = 0;
            for (int i = 0; i < Dimensions; i++)
            {
                largest = MathF.Max(largest, MathF.Abs(query[i] * _step[i]));
                offset += (double)query[i] * _lower[i];
            }

            float scale = largest > 0 ? largest / CodeMath.MaxCode : 1f;
            for (int i = 0; i < Dimensions; i++)
            {
                row[i] = (byte)(sbyte)Math.Clamp(MathF.Round(query[i] * _step[i] / scale), -CodeMath.MaxCode, CodeMath.MaxCode);
            }

            (constant, multiplier) = ((float)-offset, -scale); // −(x·q) ≈ −(offset + α·Σ)
        }

        MemoryMarshal.Write(row[CodeBytes..], constant);
        MemoryMarshal.Write(row[(CodeBytes + sizeof(float))..], multiplier);
    }
}

/// <summary>multiplier · Σ cₓc_q + the query's constant: −(x·q) for dot and cosine, and for squared L2 all but the row's own term.</summary>
internal readonly struct ScalarDotCodeDistance : IDistanceFunction
{
    public static int ElementBytes => 1;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Compute(ref float query, ref byte row, nuint length)
    {
        ref byte codes = ref Unsafe.As<float, byte>(ref query);
        nuint padded = ScalarCodes.PaddedLength(length);
        return (Unsafe.ReadUnaligned<float>(ref Unsafe.Add(ref codes, padded + sizeof(float))) * CodeMath.Dot7(ref row, ref codes, padded))
            + Unsafe.ReadUnaligned<float>(ref Unsafe.Add(ref codes, padded));
    }
}

/// <summary>Squared L2 between code rows: the row's S²·Σcₓ² + multiplier (−2S²) · Σ cₓc_q + the query's S²·Σc_q².</summary>
internal readonly struct ScalarEuclidCodeDistance : IDistanceFunction
{
    public static int ElementBytes => 1;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Compute(ref float query, ref byte row, nuint length) =>
        ScalarDotCodeDistance.Compute(ref query, ref row, length) + Unsafe.ReadUnaligned<float>(ref Unsafe.Add(ref row, length));
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
