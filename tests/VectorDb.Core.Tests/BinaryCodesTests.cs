using VectorDb.Distance;
using VectorDb.Quantization;

namespace VectorDb.Core.Tests;

/// <summary>The rotation and the estimator of binary codes, against plain floating-point references.</summary>
public class BinaryCodesTests
{
    [Fact]
    public void The_transform_is_the_Hadamard_matrix()
    {
        const int n = 32;
        var random = new Random(3);
        var values = Enumerable.Range(0, n).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
        var expected = Enumerable.Range(0, n)
            .Select(i => Enumerable.Range(0, n).Sum(j => (System.Numerics.BitOperations.PopCount((uint)(i & j)) % 2 == 0 ? 1 : -1) * values[j]))
            .ToArray();
        HadamardRotation.Transform(values);
        Assert.Equal(expected, values, (a, b) => Math.Abs(a - b) < 1e-4f);
    }

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(2, 1, 4)]
    [InlineData(4, 2, 4)]
    [InlineData(8, 1, 4)]
    [InlineData(8, 1, 8)]
    [InlineData(8, 2, 1)]
    [InlineData(8, 2, 2)]
    [InlineData(8, 2, 8)]
    [InlineData(16, 1, 1)]
    [InlineData(16, 2, 4)]
    [InlineData(32, 1, 4)]
    public void Every_popcount_path_gives_the_level_products(int words, int rowPlanes, int queryPlanes)
    {
        var random = new Random((words * 100) + (rowPlanes * 10) + queryPlanes);
        var row = Enumerable.Range(0, words * rowPlanes).Select(_ => (ulong)random.NextInt64() ^ ((ulong)random.Next() << 63)).ToArray();
        var query = Enumerable.Range(0, words * queryPlanes).Select(_ => (ulong)random.NextInt64() ^ ((ulong)random.Next() << 63)).ToArray();
        long expected = 0;
        for (int i = 0; i < words * 64; i++)
        {
            long Level(ulong[] planes, int count) => Enumerable.Range(0, count).Sum(p => (long)((planes[(p * words) + (i >> 6)] >> (i & 63)) & 1) << p);
            expected += Level(row, rowPlanes) * Level(query, queryPlanes);
        }

        Assert.Equal(expected, BitMath.WeightedPopCountScalar(ref row[0], rowPlanes, ref query[0], queryPlanes, (nuint)words));
        foreach (long path in (rowPlanes, queryPlanes) switch
        {
            (1, 1) => Paths<OnePlane, OnePlane>(row, query, words),
            (1, 4) => Paths<OnePlane, FourPlanes>(row, query, words),
            (1, 8) => Paths<OnePlane, EightPlanes>(row, query, words),
            (2, 1) => Paths<TwoPlanes, OnePlane>(row, query, words),
            (2, 2) => Paths<TwoPlanes, TwoPlanes>(row, query, words),
            (2, 4) => Paths<TwoPlanes, FourPlanes>(row, query, words),
            (2, 8) => Paths<TwoPlanes, EightPlanes>(row, query, words),
            _ => throw new ArgumentOutOfRangeException(nameof(queryPlanes)),
        })
        {
            Assert.Equal(expected, path);
        }
    }

    /// <summary>The dispatched kernel and every SIMD path this machine runs for these words.</summary>
    private static List<long> Paths<TRow, TQuery>(ulong[] row, ulong[] query, int words)
        where TRow : struct, IPlaneCount
        where TQuery : struct, IPlaneCount
    {
        var results = new List<long> { BitMath.WeightedPopCount<TRow, TQuery>(ref row[0], ref query[0], (nuint)words) };
        if (System.Runtime.Intrinsics.X86.Avx2.IsSupported && words % 4 == 0)
        {
            results.Add(BitMath.WeightedPopCountV256<TRow, TQuery>(ref row[0], ref query[0], (nuint)words));
        }

        if (System.Runtime.Intrinsics.X86.Avx512BW.IsSupported && words % 8 == 0)
        {
            results.Add(BitMath.WeightedPopCountV512<TRow, TQuery>(ref row[0], ref query[0], (nuint)words));
        }

        return results;
    }

    [Theory]
    [InlineData(100)]
    [InlineData(384)]
    [InlineData(1000)]
    public void The_rotation_keeps_lengths_and_angles_and_survives_a_round_trip(int dimensions)
    {
        var random = new Random(dimensions);
        var rotation = HadamardRotation.Random(dimensions, seed: 11);
        Assert.True(rotation.PaddedDimensions >= dimensions && System.Numerics.BitOperations.IsPow2(rotation.PaddedDimensions));
        var a = Gaussian(random, dimensions);
        var b = Gaussian(random, dimensions);
        var ra = new float[rotation.PaddedDimensions];
        var rb = new float[rotation.PaddedDimensions];
        rotation.Rotate(a, ra);
        rotation.Rotate(b, rb);
        Assert.Equal(VectorMath.Dot(a, a), VectorMath.Dot(ra, ra), VectorMath.Dot(a, a) * 1e-4f);
        Assert.Equal(VectorMath.Dot(a, b), VectorMath.Dot(ra, rb), VectorMath.Dot(a, a) * 1e-4f);

        using var saved = new MemoryStream();
        rotation.Write(saved);
        saved.Position = 0;
        var again = new float[rotation.PaddedDimensions];
        HadamardRotation.Read(saved, dimensions).Rotate(a, again);
        Assert.Equal(ra, again);
    }

    [Theory]
    [InlineData(DistanceMetric.Cosine, BinaryEncoding.OneBit, 384)]
    [InlineData(DistanceMetric.Dot, BinaryEncoding.TwoBits, 100)]
    [InlineData(DistanceMetric.Euclid, BinaryEncoding.OneBit, 1000)]
    [InlineData(DistanceMetric.Euclid, BinaryEncoding.TwoBits, 384)]
    [InlineData(DistanceMetric.Cosine, BinaryEncoding.TwoBits, 1000)]
    [InlineData(DistanceMetric.Dot, BinaryEncoding.OneAndHalfBits, 384)]
    [InlineData(DistanceMetric.Euclid, BinaryEncoding.OneAndHalfBits, 100)]
    [InlineData(DistanceMetric.Cosine, BinaryEncoding.OneAndHalfBits, 1000)]
    public void The_popcount_kernel_is_the_float_estimator_up_to_the_query_rounding(DistanceMetric metric, BinaryEncoding encoding, int dimensions)
    {
        var (book, rows, query) = Fitted(metric, encoding, BinaryQueryEncoding.Scalar8Bits, dimensions);
        var estimates = Estimates(book, rows, query);
        var reference = rows.Select(row => (double)book.ReferenceEstimate(Encode(book, row), query)).ToArray();
        double spread = reference.Max() - reference.Min();
        double worst = estimates.Zip(reference, (e, r) => Math.Abs(e - r)).Max();
        Assert.True(worst < 0.01 * spread, $"{metric} {encoding} {dimensions}: worst difference {worst:G4} against a spread of {spread:G4}");
    }

    [Theory]
    [InlineData(DistanceMetric.Dot, BinaryEncoding.OneBit, BinaryQueryEncoding.Scalar4Bits, 0.04)]
    [InlineData(DistanceMetric.Cosine, BinaryEncoding.OneBit, BinaryQueryEncoding.Binary, 0.05)]
    [InlineData(DistanceMetric.Euclid, BinaryEncoding.OneBit, BinaryQueryEncoding.Scalar8Bits, 0.04)]
    [InlineData(DistanceMetric.Euclid, BinaryEncoding.TwoBits, BinaryQueryEncoding.Default, 0.04)]
    [InlineData(DistanceMetric.Cosine, BinaryEncoding.TwoBits, BinaryQueryEncoding.Scalar4Bits, 0.022)]
    [InlineData(DistanceMetric.Dot, BinaryEncoding.OneAndHalfBits, BinaryQueryEncoding.Scalar4Bits, 0.03)]
    [InlineData(DistanceMetric.Euclid, BinaryEncoding.OneAndHalfBits, BinaryQueryEncoding.Default, 0.04)]
    public void Estimates_are_unbiased_and_within_their_error_bound(DistanceMetric metric, BinaryEncoding encoding, BinaryQueryEncoding queryEncoding, double typicalError)
    {
        var (book, rows, query) = Fitted(metric, encoding, queryEncoding, dimensions: 384);
        var queryCodes = new byte[book.QueryBytes];
        book.EncodeQuery(query, queryCodes);
        var estimates = Estimates(book, rows, query);
        double queryOffset = Length(query.Zip(book.Centroid.ToArray(), (q, c) => q - c).ToArray());
        double factor = metric == DistanceMetric.Euclid ? 2 : 1; // squared L2 carries −2·r·q′
        int beyondConfidence = 0, beyondThree = 0;
        var errors = new List<double>();
        for (int i = 0; i < rows.Length; i++)
        {
            double exact = metric == DistanceMetric.Euclid ? VectorMath.SquaredEuclidean(rows[i], query) : -VectorMath.Dot(rows[i], query);
            double error = estimates[i] - exact;
            errors.Add(error / (factor * queryOffset * Length(rows[i].Zip(book.Centroid.ToArray(), (x, c) => x - c).ToArray())));
            double standardError = book.StandardError(ref queryCodes[0], ref Encode(book, rows[i])[0]);
            beyondConfidence += Math.Abs(error) > BinaryCodes.Confidence * standardError ? 1 : 0;
            beyondThree += Math.Abs(error) > 3 * standardError ? 1 : 0;
        }

        // The error of r·q′ relative to ‖r‖‖q′‖ is about 1/√n for one bit, less for two; a coarse query adds its rounding.
        // Measured: 0.017–0.038 rms; 2–6 % of estimates beyond 1.9 standard errors (5.7 % for a normal error), ≤ 1 beyond 3.
        double rms = Math.Sqrt(errors.Average(e => e * e));
        Assert.True(Math.Abs(errors.Average()) < 0.2 * rms, $"bias {errors.Average():G3} against rms {rms:G3}");
        Assert.True(rms < typicalError, $"rms relative error {rms:G3}");
        Assert.True(beyondConfidence <= rows.Length / 10, $"{beyondConfidence} of {rows.Length} estimates beyond {BinaryCodes.Confidence} standard errors");
        Assert.True(beyondThree <= rows.Length / 100, $"{beyondThree} of {rows.Length} estimates beyond three standard errors");
    }

    private static double Length(float[] vector) => Math.Sqrt(VectorMath.Dot(vector, vector));

    private static (BinaryCodes Book, float[][] Rows, float[] Query) Fitted(DistanceMetric metric, BinaryEncoding encoding, BinaryQueryEncoding queryEncoding, int dimensions)
    {
        // Rows away from the origin, so that the centroid's terms matter.
        var random = new Random(37 + dimensions);
        var rows = Enumerable.Range(0, 400).Select(_ => Gaussian(random, dimensions).Select(x => x + 0.5f).ToArray()).ToArray();
        if (metric == DistanceMetric.Cosine)
        {
            foreach (var row in rows)
            {
                VectorMath.TryNormalize(row, row);
            }
        }

        var options = new BinaryQuantizationOptions { Encoding = encoding, QueryEncoding = queryEncoding };
        var book = BinaryCodes.Fit(metric, dimensions, options, rows.SelectMany(r => r).ToArray());
        return (book, rows, Gaussian(random, dimensions));
    }

    private static byte[] Encode(BinaryCodes book, float[] row)
    {
        var codes = new byte[book.RowBytes];
        book.EncodeRow(row, codes);
        return codes;
    }

    private static double[] Estimates(BinaryCodes book, float[][] rows, float[] query)
    {
        var queryCodes = new byte[book.QueryBytes];
        book.EncodeQuery(query, queryCodes);
        return rows.Select(row => (double)book.EstimateDistance(queryCodes, Encode(book, row))).ToArray();
    }

    private static float[] Gaussian(Random random, int dimensions) =>
        [.. Enumerable.Range(0, dimensions).Select(_ => (float)(Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble())))];
}

/// <summary>Binary codes in graph snapshots: saved and loaded as they are, and the retired kind (per-dimension thresholds) fitted again.</summary>
public class BinaryCodeSnapshotTests
{
    [Theory]
    [InlineData(BinaryEncoding.OneBit, 384)]
    [InlineData(BinaryEncoding.TwoBits, 100)]
    [InlineData(BinaryEncoding.OneAndHalfBits, 384)]
    public void Binary_codes_survive_a_snapshot_unchanged(BinaryEncoding encoding, int dimensions)
    {
        using var index = Filled(dimensions, DistanceMetric.Cosine);
        index.Quantize(new BinaryQuantizationOptions { Encoding = encoding, QueryEncoding = BinaryQueryEncoding.Scalar4Bits });
        using var saved = new MemoryStream();
        index.WriteSnapshot(saved);
        saved.Position = 0;
        using var loaded = VectorDb.Hnsw.HnswIndex.ReadSnapshot(saved);
        Assert.Equal(index.Quantization, loaded.Quantization);
        Assert.Equal(index.CodeMemoryBytes, loaded.CodeMemoryBytes);
        var random = new Random(9);
        var hits = new VectorDb.Hnsw.Neighbor[10];
        var again = new VectorDb.Hnsw.Neighbor[10];
        for (int q = 0; q < 20; q++)
        {
            float[] query = [.. Enumerable.Range(0, dimensions).Select(_ => (float)random.NextDouble())];
            int n = index.Search(query, 10, 32, hits, new QuantizationSearch { Rescore = false });
            Assert.Equal(n, loaded.Search(query, 10, 32, again, new QuantizationSearch { Rescore = false }));
            Assert.Equal(hits, again);
        }
    }

    [Theory]
    [InlineData(BinaryEncoding.OneBit, 16)]
    [InlineData(BinaryEncoding.TwoBits, 100)]
    public void A_snapshot_with_retired_binary_codes_loads_without_them_and_quantizes_again(BinaryEncoding encoding, int dimensions)
    {
        const int count = 1100;
        using var index = Filled(dimensions, DistanceMetric.Euclid, count);
        using var saved = new MemoryStream();
        index.WriteSnapshot(saved);
        var bytes = saved.ToArray();
        Assert.Equal(0, bytes[^1]); // no codes: the section is one kind byte

        // The retired layout: kind 2, rows fitted on, the encodings, a mean and a scale per dimension, then per row its
        // planes (⌈d/64⌉ words each), a popcount per plane (i32) and ‖x̂‖² (f32), padded to 8 bytes.
        int planes = encoding == BinaryEncoding.TwoBits ? 2 : 1;
        int rowBytes = ((planes * ((((dimensions + 63) / 64) * 8) + 4)) + 4 + 7) & ~7;
        using var retired = new MemoryStream();
        retired.Write(bytes, 0, bytes.Length - 1);
        retired.WriteByte(2);
        retired.Write(BitConverter.GetBytes(count));
        retired.Write([(byte)encoding, (byte)BinaryQueryEncoding.Scalar4Bits]);
        retired.Write(new byte[(2 * dimensions * sizeof(float)) + (count * rowBytes)]);
        retired.Position = 0;

        using var loaded = VectorDb.Hnsw.HnswIndex.ReadSnapshot(retired);
        Assert.Equal(retired.Length, retired.Position);
        Assert.False(loaded.HasCodes);
        var options = new BinaryQuantizationOptions { Encoding = encoding, QueryEncoding = BinaryQueryEncoding.Scalar4Bits };
        Assert.Equal(options, loaded.Quantization); // kept, so the next insert or Quantize fits the codes again
        loaded.Quantize(options);
        Assert.True(loaded.HasCodes);
        var row = new float[dimensions];
        loaded.CopyVector(7, row);
        var found = new VectorDb.Hnsw.Neighbor[1];
        Assert.Equal(1, loaded.Search(row, 1, 32, found, new QuantizationSearch()));
        Assert.Equal(7, found[0].Id);
    }

    private static VectorDb.Hnsw.HnswIndex Filled(int dimensions, DistanceMetric metric, int count = 1500)
    {
        var random = new Random(dimensions);
        var index = new VectorDb.Hnsw.HnswIndex(dimensions, metric);
        for (int i = 0; i < count; i++)
        {
            index.Add([.. Enumerable.Range(0, dimensions).Select(_ => (float)random.NextDouble())]);
        }

        return index;
    }
}
