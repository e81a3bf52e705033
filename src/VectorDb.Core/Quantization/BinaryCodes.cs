using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using VectorDb.Distance;

namespace VectorDb.Quantization;

/// <summary>
/// Fitted binary codes with a per-row estimator (after RaBitQ, Gao and Long, SIGMOD 2024). A stored vector o becomes
/// r = P(o − c): its offset from the sample's centroid c, rotated by a random orthogonal P (<see cref="HadamardRotation"/>)
/// into n ≥ d components. Each rotated component is quantized to one bit (its sign) or two (four even levels of
/// r/‖r‖·√n), xᵢ in 0..2ᵇ − 1, so yᵢ = xᵢ − (2ᵇ − 1)/2 points roughly where r does. The estimator is
/// r·q′ ≈ f·(y·q′) with f = ‖r‖² / (y·r): exact for q′ = r, and unbiased over the rotation. Each row keeps f beside
/// its bits, which is what plain per-dimension thresholds lack: their rows all seem as long as the average.
/// </summary>
/// <remarks>
/// <para>For a query q, q′ = P(q − c), quantized to k bits (q′ᵢ ≈ α·uᵢ + β), so y·q′ is α·Σₚ Σⱼ 2ᵖ⁺ʲ·popcount(Xₚ ∧ Uⱼ)
/// + β·Σxᵢ − (2ᵇ − 1)/2·Σq′ᵢ: popcounts only. Then o·q = c·q + (o − c)·c + r·q′ (dot, cosine) and
/// ‖o − q‖² = ‖r‖² + ‖q′‖² − 2·r·q′ (Euclid): each row keeps (o − c)·c or ‖r‖² as its offset.</para>
/// <para>A row is its bit planes (n/64 words each), then f, the offset and Σxᵢ (float32) and two error scales
/// (float16): the code's, ‖r‖·√(1/a² − 1)/√(n − 1) with a = y·r/(‖y‖‖r‖), which times ‖q′‖ is the standard error of
/// r·q′ over the rotation, and the query rounding's, f·‖y‖/√(n − 1), which times ‖q̃ − q′‖ is that of f·y·(q̃ − q′).
/// A query row is a 48-byte header (k, b, n/64, α, β, the constant, the output's two multipliers and addend, ‖q′‖ and
/// ‖q̃ − q′‖) and its k planes.</para>
/// </remarks>
internal sealed class BinaryCodes : CodeBook
{
    private const int QueryHeaderBytes = 48;
    private const int RowScalars = 4;
    private const int RotationSeed = 0x5EED;

    /// <summary>Error scales an estimate is trusted to: the ε₀ of RaBitQ, past which its estimates fall rarely.</summary>
    public const float Confidence = 1.9f;

    // The step of four even levels that quantize a standard normal variable with least squared error.
    private const float TwoBitStep = 0.9957f;

    // One bit of a standard normal variable is best read back as ±√(2/π); in two-bit steps that is ±OneBitLevel/2.
    private static readonly float OneBitLevel = (float)(2 * Math.Sqrt(2 / Math.PI) / TwoBitStep);

    private readonly float[] _centroid;
    private readonly HadamardRotation _rotation;
    private readonly int _planes;
    private readonly int _twoBitComponents; // components with a second bit: none, all, or (one and a half bits) the first half
    private readonly int _queryBits;
    private readonly int _words;
    private readonly int _planeBytes;

    public BinaryCodes(DistanceMetric metric, BinaryQuantizationOptions options, float[] centroid, HadamardRotation rotation)
        : base(metric, centroid.Length, options)
    {
        if (metric == DistanceMetric.Manhattan)
        {
            throw new InvalidRequestException("Binary quantization estimates dot products: use it with Cosine, Dot or Euclid, and scalar quantization with Manhattan.");
        }

        if (centroid.Length == 0 || centroid.Any(m => !float.IsFinite(m)) || rotation.Dimensions != centroid.Length)
        {
            throw new InvalidDataException("Binary quantization parameters are invalid.");
        }

        _centroid = centroid;
        _rotation = rotation;
        _planes = options.Encoding == BinaryEncoding.OneBit ? 1 : 2;
        _twoBitComponents = options.Encoding switch
        {
            BinaryEncoding.TwoBits => rotation.PaddedDimensions,
            BinaryEncoding.OneAndHalfBits => rotation.PaddedDimensions / 2,
            _ => 0,
        };
        _queryBits = options.QueryEncoding switch
        {
            BinaryQueryEncoding.Binary => 1,
            BinaryQueryEncoding.Scalar4Bits => 4,
            BinaryQueryEncoding.Scalar8Bits => 8,
            _ => _planes,
        };
        _words = rotation.PaddedDimensions / 64;
        _planeBytes = (rotation.PaddedDimensions + _twoBitComponents) / 8;
        RowBytes = _planeBytes + (RowScalars * sizeof(float));
        QueryBytes = QueryHeaderBytes + (_queryBits * _words * sizeof(ulong));
    }

    public override int RowBytes { get; }

    public override int QueryBytes { get; }

    /// <summary>The centroid rows and queries are taken relative to.</summary>
    internal ReadOnlySpan<float> Centroid => _centroid;

    /// <summary>
    /// Runs <paramref name="operation"/> with the kernel for this book's row and query planes (each combination its own
    /// compiled kernel, see <see cref="BitMath"/>).
    /// </summary>
    public TResult Run<TOperation, TResult>(TOperation operation)
        where TOperation : IDistanceOperation<TResult>, allows ref struct =>
        (_twoBitComponents == 0 || _twoBitComponents == RowComponents ? _planes : 3, _queryBits) switch
        {
            (3, 1) => operation.Run<OneAndHalfBitCodeDistance<OnePlane>>(),
            (3, 2) => operation.Run<OneAndHalfBitCodeDistance<TwoPlanes>>(),
            (3, 4) => operation.Run<OneAndHalfBitCodeDistance<FourPlanes>>(),
            (3, 8) => operation.Run<OneAndHalfBitCodeDistance<EightPlanes>>(),
            (1, 1) => operation.Run<BinaryCodeDistance<OnePlane, OnePlane>>(),
            (1, 4) => operation.Run<BinaryCodeDistance<OnePlane, FourPlanes>>(),
            (1, 8) => operation.Run<BinaryCodeDistance<OnePlane, EightPlanes>>(),
            (2, 1) => operation.Run<BinaryCodeDistance<TwoPlanes, OnePlane>>(),
            (2, 2) => operation.Run<BinaryCodeDistance<TwoPlanes, TwoPlanes>>(),
            (2, 4) => operation.Run<BinaryCodeDistance<TwoPlanes, FourPlanes>>(),
            _ => operation.Run<BinaryCodeDistance<TwoPlanes, EightPlanes>>(),
        };

    private int RowComponents => _words * 64;

    /// <summary>The distance a query row and a stored row estimate, through the kernel a walk runs: for tests and benchmarks.</summary>
    internal unsafe float EstimateDistance(ReadOnlySpan<byte> query, ReadOnlySpan<byte> row)
    {
        fixed (byte* q = query, r = row)
        {
            return Run<EstimateOperation, float>(new EstimateOperation((float*)q, r, Dimensions));
        }
    }

    private readonly unsafe struct EstimateOperation(float* query, byte* row, int dimensions) : IDistanceOperation<float>
    {
        public float Run<TDistance>()
            where TDistance : struct, IDistanceFunction =>
            TDistance.Compute(ref *query, ref *row, (nuint)dimensions);
    }

    /// <summary>Fits the centroid on sampled rows (row-major) and draws the rotation.</summary>
    public static BinaryCodes Fit(DistanceMetric metric, int dimensions, BinaryQuantizationOptions options, ReadOnlySpan<float> values)
    {
        int rows = values.Length / dimensions;
        var sum = new double[dimensions];
        for (int r = 0; r < rows; r++)
        {
            var row = values.Slice(r * dimensions, dimensions);
            for (int i = 0; i < dimensions; i++)
            {
                sum[i] += row[i];
            }
        }

        var centroid = sum.Select(s => rows > 0 ? (float)(s / rows) : 0f).ToArray();
        return new BinaryCodes(metric, options, centroid, HadamardRotation.Random(dimensions, RotationSeed));
    }

    /// <summary>Reads the parameters <see cref="WriteParameters"/> saved.</summary>
    public static BinaryCodes Read(Stream stream, DistanceMetric metric, int dimensions)
    {
        int encoding = stream.ReadByte(), query = stream.ReadByte();
        if (!Enum.IsDefined((BinaryEncoding)encoding) || !Enum.IsDefined((BinaryQueryEncoding)query))
        {
            throw new InvalidDataException($"Binary codes of unknown encoding {encoding}/{query}.");
        }

        var options = new BinaryQuantizationOptions { Encoding = (BinaryEncoding)encoding, QueryEncoding = (BinaryQueryEncoding)query };
        var centroid = ReadFloats(stream, dimensions);
        return new BinaryCodes(metric, options, centroid, HadamardRotation.Read(stream, dimensions));
    }

    /// <summary>The encodings (a byte each), the centroid, then the rotation (its rounds and signs).</summary>
    protected override void WriteParameters(Stream stream)
    {
        var options = (BinaryQuantizationOptions)Options;
        stream.WriteByte((byte)options.Encoding);
        stream.WriteByte((byte)options.QueryEncoding);
        stream.Write(MemoryMarshal.AsBytes(_centroid.AsSpan()));
        _rotation.Write(stream);
    }

    /// <inheritdoc />
    public override void EncodeRow(ReadOnlySpan<float> vector, Span<byte> row)
    {
        WithRotated(vector, row, static (book, vector, rotated, row) => book.EncodeRow(vector, rotated, row));
    }

    private void EncodeRow(ReadOnlySpan<float> vector, Span<float> rotated, Span<byte> row)
    {
        row[..RowBytes].Clear();
        int n = rotated.Length;
        var planes = MemoryMarshal.Cast<byte, ulong>(row[.._planeBytes]);
        double squaredNorm = System.Numerics.Tensors.TensorPrimitives.Dot(rotated, rotated);
        float unit = squaredNorm > 0 ? (float)(Math.Sqrt(n / squaredNorm) / TwoBitStep) : 0f;
        double alongRow = 0, squaredLevels = 0, weightedLevels = 0;
        for (int i = 0; i < n; i++)
        {
            int level = i >= _twoBitComponents
                ? (rotated[i] > 0 ? 1 : 0)
                : Math.Clamp((int)MathF.Floor((rotated[i] * unit) + 2), 0, 3);
            planes[i >> 6] |= (ulong)(level & 1) << (i & 63);
            if (i < _twoBitComponents)
            {
                planes[_words + (i >> 6)] |= (ulong)(level >> 1) << (i & 63);
            }

            double centred = Centred(i, level);
            alongRow += centred * rotated[i];
            squaredLevels += centred * centred;
            weightedLevels += LevelWeight(i) * level;
        }

        var scalars = MemoryMarshal.Cast<byte, float>(row.Slice(_planeBytes, RowScalars * sizeof(float)));
        scalars[0] = alongRow > 0 ? (float)(squaredNorm / alongRow) : 0f;
        scalars[1] = Metric == DistanceMetric.Euclid ? (float)squaredNorm : OffsetAlongCentroid(vector);
        scalars[2] = (float)weightedLevels;
        double cosine = alongRow > 0 ? alongRow / Math.Sqrt(squaredLevels * squaredNorm) : 1;
        var scales = MemoryMarshal.Cast<float, Half>(scalars[3..]);
        scales[0] = (Half)(Math.Sqrt(squaredNorm * Math.Max(0, (1 / (cosine * cosine)) - 1)) / Math.Sqrt(n - 1));
        scales[1] = (Half)(scalars[0] * Math.Sqrt(squaredLevels / (n - 1)));
    }

    /// <summary>yᵢ for level xᵢ of component i: xᵢ − 3/2 where it has two bits, xᵢ − 1/2 where all have one, and ±OneBitLevel/2 where half have two.</summary>
    private double Centred(int i, int level) =>
        i < _twoBitComponents ? level - 1.5 : _twoBitComponents == 0 ? level - 0.5 : OneBitLevel * (level - 0.5);

    /// <summary>What a level of component i weighs in y: 1, or OneBitLevel for the one-bit half of one and a half bits.</summary>
    private double LevelWeight(int i) => i >= _twoBitComponents && _twoBitComponents > 0 ? OneBitLevel : 1;

    /// <summary>(o − c)·c: the part of o·q the rotated offset does not carry.</summary>
    private float OffsetAlongCentroid(ReadOnlySpan<float> vector) =>
        System.Numerics.Tensors.TensorPrimitives.Dot(vector[..Dimensions], _centroid) - System.Numerics.Tensors.TensorPrimitives.Dot(_centroid, _centroid);

    /// <summary>
    /// The distance the codes estimate for a stored row and a query, computed in floating point from the row's code
    /// and the unquantized query: what the kernel approximates up to the query's rounding, for tests.
    /// </summary>
    internal float ReferenceEstimate(ReadOnlySpan<byte> row, ReadOnlySpan<float> query)
    {
        var rotated = new float[_rotation.PaddedDimensions];
        var offset = new float[Dimensions];
        System.Numerics.Tensors.TensorPrimitives.Subtract(query[..Dimensions], _centroid, offset);
        _rotation.Rotate(offset, rotated);
        var planes = MemoryMarshal.Cast<byte, ulong>(row[.._planeBytes]);
        var scalars = MemoryMarshal.Cast<byte, float>(row.Slice(_planeBytes, RowScalars * sizeof(float)));
        double along = 0;
        for (int i = 0; i < rotated.Length; i++)
        {
            int level = (int)((planes[i >> 6] >> (i & 63)) & 1);
            level |= i < _twoBitComponents ? (int)((planes[_words + (i >> 6)] >> (i & 63)) & 1) << 1 : 0;
            along += Centred(i, level) * rotated[i];
        }

        double estimate = scalars[0] * along;
        return Metric == DistanceMetric.Euclid
            ? (float)(scalars[1] + System.Numerics.Tensors.TensorPrimitives.Dot(rotated, rotated) - (2 * estimate))
            : (float)-(System.Numerics.Tensors.TensorPrimitives.Dot(query[..Dimensions], _centroid) + scalars[1] + estimate);
    }

    /// <summary>
    /// One standard error of a distance the codes estimate for a query row and a stored row: the code's own
    /// (‖r‖·√(1/a² − 1)/√(n − 1) times ‖q′‖) and the query's rounding (f·‖y‖/√(n − 1) times ‖q̃ − q′‖), as independent.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float StandardError(ref byte query, ref byte row)
    {
        ref Half scales = ref Unsafe.As<byte, Half>(ref Unsafe.Add(ref row, _planeBytes + (3 * sizeof(float))));
        float code = (float)scales * Unsafe.Add(ref Unsafe.As<byte, float>(ref query), 9);
        float rounding = (float)Unsafe.Add(ref scales, 1) * Unsafe.Add(ref Unsafe.As<byte, float>(ref query), 10);
        return MathF.Abs(Unsafe.Add(ref Unsafe.As<byte, float>(ref query), 6)) * MathF.Sqrt((code * code) + (rounding * rounding));
    }

    /// <summary>How far an estimated distance may lie from the true one: beyond it with small probability (<see cref="Confidence"/> standard errors).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float ErrorBound(ref byte query, ref byte row) => Confidence * StandardError(ref query, ref row);

    /// <inheritdoc />
    public override void EncodeQuery(ReadOnlySpan<float> query, Span<byte> row)
    {
        WithRotated(query, row, static (book, query, rotated, row) => book.EncodeQuery(query, rotated, row));
    }

    private delegate void RotatedAction(BinaryCodes book, ReadOnlySpan<float> vector, Span<float> rotated, Span<byte> row);

    /// <summary>Rotates vector − centroid into a scratch span (on the stack unless large) and hands it on.</summary>
    private void WithRotated(ReadOnlySpan<float> vector, Span<byte> row, RotatedAction action)
    {
        int n = _rotation.PaddedDimensions;
        float[]? rented = n + Dimensions > 4096 ? System.Buffers.ArrayPool<float>.Shared.Rent(n + Dimensions) : null;
        try
        {
            var scratch = rented is null ? stackalloc float[n + Dimensions] : rented.AsSpan(0, n + Dimensions);
            var offset = scratch[n..];
            System.Numerics.Tensors.TensorPrimitives.Subtract(vector[..Dimensions], _centroid, offset);
            _rotation.Rotate(offset, scratch[..n]);
            action(this, vector, scratch[..n], row);
        }
        finally
        {
            if (rented is not null)
            {
                System.Buffers.ArrayPool<float>.Shared.Return(rented);
            }
        }
    }

    /// <summary>
    /// Writes the query's levels uᵢ = round((q′ᵢ − β)/α) (k ≥ 2 bits) or [q′ᵢ &gt; 0] (one bit) as k bit planes, 64
    /// components at a time (n is a multiple of 64); returns Σuᵢ and ‖q̃ − q′‖² (q̃ᵢ = α·uᵢ + β, the query the kernel sees).
    /// </summary>
    private (long TwoBitPart, long OneBitPart, double SquaredRounding) WriteQueryPlanes(ReadOnlySpan<float> rotated, float alpha, float beta, Span<ulong> planes)
    {
        long twoBitPart = 0;
        var inverse = Vector512.Create(1 / alpha);
        var offset = Vector512.Create(beta);
        var highest = Vector512.Create((float)((1 << _queryBits) - 1));
        long sum = 0;
        double squaredRounding = 0;
        for (int block = 0; block < _words; block++)
        {
            var values = rotated.Slice(64 * block, 64);
            bool oneBit = _queryBits == 1;
            var first = QueryLevels(Vector512.Create(values[..16]), offset, inverse, highest, oneBit);
            var second = QueryLevels(Vector512.Create(values[16..32]), offset, inverse, highest, oneBit);
            var third = QueryLevels(Vector512.Create(values[32..48]), offset, inverse, highest, oneBit);
            var fourth = QueryLevels(Vector512.Create(values[48..]), offset, inverse, highest, oneBit);
            long levels = Vector512.Sum(first + second + third + fourth);
            twoBitPart += 64 * block < _twoBitComponents ? levels : 0;
            sum += levels;
            squaredRounding += Rounding(first, values[..16]) + Rounding(second, values[16..32]) + Rounding(third, values[32..48]) + Rounding(fourth, values[48..]);
            var bytes = Vector512.Narrow(Vector512.Narrow(first, second), Vector512.Narrow(third, fourth)).AsByte();
            for (int j = 0; j < _queryBits; j++)
            {
                planes[(j * _words) + block] = Vector512.ShiftLeft(bytes, 7 - j).ExtractMostSignificantBits();
            }
        }

        return (twoBitPart, sum - twoBitPart, squaredRounding);

        float Rounding(Vector512<int> levels, ReadOnlySpan<float> values)
        {
            var error = (Vector512.ConvertToSingle(levels) * alpha) + Vector512.Create(beta) - Vector512.Create(values);
            return Vector512.Sum(error * error);
        }
    }

    private static Vector512<int> QueryLevels(Vector512<float> value, Vector512<float> offset, Vector512<float> inverse, Vector512<float> highest, bool oneBit)
    {
        var level = oneBit
            ? Vector512.ConditionalSelect(Vector512.GreaterThan(value, Vector512<float>.Zero), Vector512<float>.One, Vector512<float>.Zero)
            : Vector512.Clamp(Vector512.Round((value - offset) * inverse), Vector512<float>.Zero, highest);
        return Vector512.ConvertToInt32(level);
    }

    private void EncodeQuery(ReadOnlySpan<float> query, Span<float> rotated, Span<byte> row)
    {
        row[..QueryBytes].Clear();
        int n = rotated.Length;

        // q′ᵢ ≈ α·uᵢ + β, uᵢ in 0..2ᵏ − 1: one bit keeps the sign (±mean |q′|), more bits span q′'s range.
        float alpha, beta;
        if (_queryBits == 1)
        {
            float typical = System.Numerics.Tensors.TensorPrimitives.SumOfMagnitudes(rotated) / n;
            (alpha, beta) = (2 * typical, -typical);
        }
        else
        {
            float low = System.Numerics.Tensors.TensorPrimitives.Min(rotated), high = System.Numerics.Tensors.TensorPrimitives.Max(rotated);
            (alpha, beta) = (high > low ? (high - low) / ((1 << _queryBits) - 1) : 1f, low);
        }

        var (twoBitPart, oneBitPart, squaredRounding) = WriteQueryPlanes(rotated, alpha, beta, MemoryMarshal.Cast<byte, ulong>(row[QueryHeaderBytes..]));

        // yᵢ = wᵢxᵢ − cᵢ (c = 3/2 where a component has two bits, else 1/2 and, for one and a half bits, w = c·2 =
        // OneBitLevel), so y·q̃ = α·Σwᵢxᵢuᵢ + β·Σwᵢxᵢ − (α·Σcᵢuᵢ + β·Σcᵢ): the kernel's popcounts, the row's Σwᵢxᵢ and
        // the constant below. Then distance = A·f·(y·q̃) + B·offset + C.
        double oneBitCentre = _twoBitComponents == 0 ? 0.5 : OneBitLevel / 2;
        bool euclid = Metric == DistanceMetric.Euclid;
        var ints = MemoryMarshal.Cast<byte, int>(row[..QueryHeaderBytes]);
        var header = MemoryMarshal.Cast<byte, float>(row[..QueryHeaderBytes]);
        ints[0] = _queryBits;
        ints[1] = _planes;
        ints[2] = _words;
        header[3] = alpha;
        header[4] = beta;
        header[5] = (float)((1.5 * ((alpha * (double)twoBitPart) + (_twoBitComponents * (double)beta)))
            + (oneBitCentre * ((alpha * (double)oneBitPart) + ((n - _twoBitComponents) * (double)beta))));
        header[6] = euclid ? -2 : -1;
        header[7] = euclid ? 1 : -1;
        float squaredLength = System.Numerics.Tensors.TensorPrimitives.Dot(rotated, rotated);
        header[8] = euclid ? squaredLength : -System.Numerics.Tensors.TensorPrimitives.Dot(query[..Dimensions], _centroid);
        header[9] = MathF.Sqrt(squaredLength); // ‖q′‖ and ‖q̃ − q′‖, for StandardError
        header[10] = (float)Math.Sqrt(squaredRounding);
        header[11] = OneBitLevel; // the one-bit half's weight, for one and a half bits
    }
}

/// <summary>
/// The distance a binary query row and a stored binary row estimate (see <see cref="BinaryCodes"/>), for rows of
/// <typeparamref name="TRow"/> bit planes and queries of <typeparamref name="TQuery"/>.
/// </summary>
internal readonly struct BinaryCodeDistance<TRow, TQuery> : IDistanceFunction
    where TRow : struct, IPlaneCount
    where TQuery : struct, IPlaneCount
{
    public static int ElementBytes => 1;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Compute(ref float query, ref byte row, nuint length)
    {
        nuint words = (nuint)Unsafe.As<float, int>(ref Unsafe.Add(ref query, 2));
        long weighted = BitMath.WeightedPopCount<TRow, TQuery>(ref Unsafe.As<byte, ulong>(ref row), ref Unsafe.As<float, ulong>(ref Unsafe.Add(ref query, 12)), words);
        ref float scalars = ref Unsafe.As<byte, float>(ref Unsafe.Add(ref row, (nuint)TRow.Count * words * sizeof(ulong)));
        float along = (Unsafe.Add(ref query, 3) * weighted) + (Unsafe.Add(ref query, 4) * Unsafe.Add(ref scalars, 2)) - Unsafe.Add(ref query, 5);
        return (Unsafe.Add(ref query, 6) * scalars * along) + (Unsafe.Add(ref query, 7) * Unsafe.Add(ref scalars, 1)) + Unsafe.Add(ref query, 8);
    }
}

/// <summary>
/// The distance a binary query row and a stored row of one and a half bits estimate: two bits for the first half of
/// the rotated components, one for the second, each half's popcounts summed apart and the one-bit half weighed by
/// <c>OneBitLevel</c> (see <see cref="BinaryCodes"/>).
/// </summary>
internal readonly struct OneAndHalfBitCodeDistance<TQuery> : IDistanceFunction
    where TQuery : struct, IPlaneCount
{
    public static int ElementBytes => 1;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Compute(ref float query, ref byte row, nuint length)
    {
        nuint words = (nuint)Unsafe.As<float, int>(ref Unsafe.Add(ref query, 2));
        nuint half = words / 2;
        ref ulong planes = ref Unsafe.As<byte, ulong>(ref row);
        ref ulong queryPlanes = ref Unsafe.As<float, ulong>(ref Unsafe.Add(ref query, 12));
        long twoBitHalf = BitMath.WeightedPopCount<TwoPlanes, TQuery>(ref planes, words, ref queryPlanes, words, half);
        long oneBitHalf = BitMath.WeightedPopCount<OnePlane, TQuery>(ref Unsafe.Add(ref planes, half), words, ref Unsafe.Add(ref queryPlanes, half), words, half);
        ref float scalars = ref Unsafe.As<byte, float>(ref Unsafe.Add(ref row, (words + half) * sizeof(ulong)));
        float weighted = twoBitHalf + (Unsafe.Add(ref query, 11) * oneBitHalf);
        float along = (Unsafe.Add(ref query, 3) * weighted) + (Unsafe.Add(ref query, 4) * Unsafe.Add(ref scalars, 2)) - Unsafe.Add(ref query, 5);
        return (Unsafe.Add(ref query, 6) * scalars * along) + (Unsafe.Add(ref query, 7) * Unsafe.Add(ref scalars, 1)) + Unsafe.Add(ref query, 8);
    }
}
