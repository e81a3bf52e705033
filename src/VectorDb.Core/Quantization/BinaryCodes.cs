using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using VectorDb.Distance;

namespace VectorDb.Quantization;

/// <summary>
/// Fitted binary codes. A stored component becomes x̂ᵢ = μᵢ + sᵢ·vᵢ, with μᵢ its dimension's mean and vᵢ = ±1 (one bit:
/// above the mean or not; sᵢ the mean absolute deviation) or vᵢ ∈ {−1, 0, 1} (two bits: thresholds μᵢ ± sᵢ/2, with
/// sᵢ = 1.224 σᵢ, the optimal three-level quantizer of a normal variable), kept as bit planes. Then
/// x̂·q = Σ μᵢqᵢ + Σ wᵢvᵢ with wᵢ = sᵢqᵢ, and the query's weights are quantized to k bits (uᵢ, wᵢ ≈ α·uᵢ + β), so
/// Σ wᵢ·rᵢ over a row plane r is α·Σⱼ 2ʲ·popcount(Uⱼ ∧ r) + β·popcount(r): popcounts only. Squared L2 adds the row's
/// ‖x̂‖², kept with its planes.
/// </summary>
/// <remarks>
/// A row is its planes (W = ⌈d/64⌉ words each), each plane's popcount (int32) and ‖x̂‖² (float32). A query row is a
/// 32-byte header (k, planes, the multipliers and constants of <see cref="BinaryCodeDistance"/>) and its k planes.
/// Centering on the mean matters for embeddings, whose dimensions rarely average zero.
/// </remarks>
internal sealed class BinaryCodes : CodeBook
{
    private const int QueryHeaderBytes = 32;
    private const float TwoBitScale = 1.224f; // σ multiples of the outer levels of the optimal three-level quantizer of N(0, 1)

    private readonly float[] _mean;
    private readonly float[] _scale;
    private readonly int _planes;
    private readonly int _queryBits;
    private readonly int _words;

    public BinaryCodes(DistanceMetric metric, BinaryQuantizationOptions options, float[] mean, float[] scale)
        : base(metric, mean.Length, options)
    {
        if (metric == DistanceMetric.Manhattan)
        {
            throw new InvalidRequestException("Binary quantization estimates dot products: use it with Cosine, Dot or Euclid, and scalar quantization with Manhattan.");
        }

        if (mean.Length != scale.Length || mean.Length == 0 || mean.Any(m => !float.IsFinite(m)) || scale.Any(s => !(float.IsFinite(s) && s >= 0)))
        {
            throw new InvalidDataException("Binary quantization parameters are invalid.");
        }

        _mean = mean;
        _scale = scale;
        _planes = options.Encoding == BinaryEncoding.TwoBits ? 2 : 1;
        _queryBits = options.QueryEncoding switch
        {
            BinaryQueryEncoding.Binary => 1,
            BinaryQueryEncoding.Scalar4Bits => 4,
            BinaryQueryEncoding.Scalar8Bits => 8,
            _ => _planes,
        };
        _words = (Dimensions + 63) / 64;
        RowBytes = (_planes * ((_words * sizeof(ulong)) + sizeof(int))) + sizeof(float);
        RowBytes = (RowBytes + 7) & ~7;
        QueryBytes = QueryHeaderBytes + (_queryBits * _words * sizeof(ulong));
    }

    public override int RowBytes { get; }

    public override int QueryBytes { get; }

    /// <summary>Fits each dimension's mean and scale on sampled rows (row-major).</summary>
    public static BinaryCodes Fit(DistanceMetric metric, int dimensions, BinaryQuantizationOptions options, ReadOnlySpan<float> values)
    {
        int rows = values.Length / dimensions;
        var mean = new float[dimensions];
        var scale = new float[dimensions];
        for (int i = 0; i < dimensions; i++)
        {
            double sum = 0;
            for (int r = 0; r < rows; r++)
            {
                sum += values[(r * dimensions) + i];
            }

            double mu = rows > 0 ? sum / rows : 0, spread = 0;
            for (int r = 0; r < rows; r++)
            {
                double deviation = values[(r * dimensions) + i] - mu;
                spread += options.Encoding == BinaryEncoding.OneBit ? Math.Abs(deviation) : deviation * deviation;
            }

            mean[i] = (float)mu;
            scale[i] = rows == 0 ? 0f
                : options.Encoding == BinaryEncoding.OneBit ? (float)(spread / rows)
                : TwoBitScale * (float)Math.Sqrt(spread / rows);
        }

        return new BinaryCodes(metric, options, mean, scale);
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
        return new BinaryCodes(metric, options, ReadFloats(stream, dimensions), ReadFloats(stream, dimensions));
    }

    /// <summary>The encodings (a byte each), then each dimension's mean and scale.</summary>
    protected override void WriteParameters(Stream stream)
    {
        var options = (BinaryQuantizationOptions)Options;
        stream.WriteByte((byte)options.Encoding);
        stream.WriteByte((byte)options.QueryEncoding);
        stream.Write(MemoryMarshal.AsBytes(_mean.AsSpan()));
        stream.Write(MemoryMarshal.AsBytes(_scale.AsSpan()));
    }

    /// <inheritdoc />
    public override void EncodeRow(ReadOnlySpan<float> vector, Span<byte> row)
    {
        row[..RowBytes].Clear();
        var planes = MemoryMarshal.Cast<byte, ulong>(row[..(_planes * _words * sizeof(ulong))]);
        double squaredNorm = 0;
        for (int i = 0; i < Dimensions; i++)
        {
            float deviation = vector[i] - _mean[i];
            int level;
            if (_planes == 1)
            {
                level = deviation > 0 ? 1 : -1;
                planes[i >> 6] |= deviation > 0 ? 1UL << (i & 63) : 0;
            }
            else
            {
                bool above = deviation > _scale[i] / 2, aroundOrAbove = deviation > -_scale[i] / 2;
                level = (above ? 1 : 0) + (aroundOrAbove ? 1 : 0) - 1;
                planes[i >> 6] |= aroundOrAbove ? 1UL << (i & 63) : 0;
                planes[_words + (i >> 6)] |= above ? 1UL << (i & 63) : 0;
            }

            double value = _mean[i] + ((double)_scale[i] * level);
            squaredNorm += value * value;
        }

        var counts = MemoryMarshal.Cast<byte, int>(row.Slice(_planes * _words * sizeof(ulong), _planes * sizeof(int)));
        for (int p = 0; p < _planes; p++)
        {
            int ones = 0;
            foreach (ulong word in planes.Slice(p * _words, _words))
            {
                ones += BitOperations.PopCount(word);
            }

            counts[p] = ones;
        }

        MemoryMarshal.Write(row[((_planes * _words * sizeof(ulong)) + (_planes * sizeof(int)))..], (float)squaredNorm);
    }

    /// <summary>The row a code row stands for (μᵢ + sᵢ·vᵢ): what the estimates approximate, for tests.</summary>
    internal float[] Decode(ReadOnlySpan<byte> row)
    {
        var planes = MemoryMarshal.Cast<byte, ulong>(row[..(_planes * _words * sizeof(ulong))]);
        var values = new float[Dimensions];
        for (int i = 0; i < Dimensions; i++)
        {
            int level = 0;
            for (int p = 0; p < _planes; p++)
            {
                level += (int)((planes[(p * _words) + (i >> 6)] >> (i & 63)) & 1);
            }

            values[i] = _mean[i] + (_scale[i] * (_planes == 1 ? (2 * level) - 1 : level - 1));
        }

        return values;
    }

    /// <inheritdoc />
    public override void EncodeQuery(ReadOnlySpan<float> query, Span<byte> row)
    {
        row[..QueryBytes].Clear();
        float[]? rented = Dimensions > 2048 ? System.Buffers.ArrayPool<float>.Shared.Rent(Dimensions) : null;
        try
        {
            EncodeQuery(query, row, rented is null ? stackalloc float[Dimensions] : rented.AsSpan(0, Dimensions));
        }
        finally
        {
            if (rented is not null)
            {
                System.Buffers.ArrayPool<float>.Shared.Return(rented);
            }
        }
    }

    private void EncodeQuery(ReadOnlySpan<float> query, Span<byte> row, Span<float> weights)
    {
        double offset = 0, weightSum = 0, squaredNorm = 0, absolute = 0;
        for (int i = 0; i < Dimensions; i++)
        {
            weights[i] = _scale[i] * query[i];
            offset += (double)_mean[i] * query[i];
            weightSum += weights[i];
            squaredNorm += (double)query[i] * query[i];
            absolute += Math.Abs(weights[i]);
        }

        // wᵢ ≈ α·uᵢ + β, uᵢ in 0..2ᵏ − 1: one bit keeps the sign (±mean |w|), more bits span the weights' range.
        float alpha, beta;
        if (_queryBits == 1)
        {
            float typical = (float)(absolute / Dimensions);
            (alpha, beta) = (2 * typical, -typical);
        }
        else
        {
            float low = System.Numerics.Tensors.TensorPrimitives.Min(weights), high = System.Numerics.Tensors.TensorPrimitives.Max(weights);
            (alpha, beta) = (high > low ? (high - low) / ((1 << _queryBits) - 1) : 1f, low);
        }

        var planes = MemoryMarshal.Cast<byte, ulong>(row[QueryHeaderBytes..]);
        for (int i = 0; i < Dimensions; i++)
        {
            int level = _queryBits == 1 ? (weights[i] > 0 ? 1 : 0) : (int)Math.Clamp(MathF.Round((weights[i] - beta) / alpha), 0, (1 << _queryBits) - 1);
            for (int j = 0; j < _queryBits; j++)
            {
                planes[(j * _words) + (i >> 6)] |= ((ulong)(level >> j) & 1) << (i & 63);
            }
        }

        // Σ wᵢvᵢ = c·Σ over row planes of Σ wᵢrᵢ − Σ wᵢ, c = 2 for one plane (v = 2r − 1), 1 for two (v = r₁ + r₂ − 1).
        float c = _planes == 1 ? 2 : 1;
        bool euclid = Metric == DistanceMetric.Euclid;
        var header = MemoryMarshal.Cast<byte, float>(row[..QueryHeaderBytes]);
        MemoryMarshal.Cast<byte, int>(row)[0] = _queryBits;
        MemoryMarshal.Cast<byte, int>(row)[1] = _planes;
        header[2] = c * alpha;
        header[3] = c * beta;
        header[4] = (float)(offset - weightSum); // x̂·q = header[4] + header[2]·Σ 2ʲ popcounts + header[3]·Σ row popcounts
        header[5] = euclid ? -2 : -1; // distance = header[5]·x̂·q + header[6]·‖x̂‖² + header[7]
        header[6] = euclid ? 1 : 0;
        header[7] = euclid ? (float)squaredNorm : 0;
    }
}

/// <summary>The distance a binary query row and a stored binary row estimate (see <see cref="BinaryCodes"/>).</summary>
internal readonly struct BinaryCodeDistance : IDistanceFunction
{
    public static int ElementBytes => 1;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Compute(ref float query, ref byte row, nuint length)
    {
        nuint words = (length + 63) >> 6;
        int bits = Unsafe.As<float, int>(ref query);
        int planes = Unsafe.As<float, int>(ref Unsafe.Add(ref query, 1));
        ref ulong queryPlanes = ref Unsafe.As<float, ulong>(ref Unsafe.Add(ref query, 8));
        ref ulong rowPlanes = ref Unsafe.As<byte, ulong>(ref row);
        long weighted = 0, ones = 0;
        for (int p = 0; p < planes; p++)
        {
            ref ulong plane = ref Unsafe.Add(ref rowPlanes, (nuint)p * words);
            for (int j = 0; j < bits; j++)
            {
                ref ulong queryPlane = ref Unsafe.Add(ref queryPlanes, (nuint)j * words);
                long count = 0;
                for (nuint w = 0; w < words; w++)
                {
                    count += BitOperations.PopCount(Unsafe.Add(ref queryPlane, w) & Unsafe.Add(ref plane, w));
                }

                weighted += count << j;
            }

            ones += Unsafe.ReadUnaligned<int>(ref Unsafe.Add(ref row, ((nuint)planes * words * sizeof(ulong)) + ((nuint)p * sizeof(int))));
        }

        float squaredNorm = Unsafe.ReadUnaligned<float>(ref Unsafe.Add(ref row, ((nuint)planes * words * sizeof(ulong)) + ((nuint)planes * sizeof(int))));
        float dot = Unsafe.Add(ref query, 4) + (Unsafe.Add(ref query, 2) * weighted) + (Unsafe.Add(ref query, 3) * ones);
        return (Unsafe.Add(ref query, 5) * dot) + (Unsafe.Add(ref query, 6) * squaredNorm) + Unsafe.Add(ref query, 7);
    }
}
