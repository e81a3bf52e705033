using System.Runtime.InteropServices;
using VectorDb.Distance;
using VectorDb.Hnsw;

namespace VectorDb.Core.Tests;

public class VectorDataTypeTests
{
    public static TheoryData<VectorDataType> HalfTypes => [VectorDataType.Float16, VectorDataType.BFloat16];

    public static TheoryData<VectorDataType, DistanceMetric> HalfTypesByMetric
    {
        get
        {
            var data = new TheoryData<VectorDataType, DistanceMetric>();
            foreach (var type in new[] { VectorDataType.Float16, VectorDataType.BFloat16 })
            {
                foreach (var metric in new[] { DistanceMetric.Cosine, DistanceMetric.Dot, DistanceMetric.Euclid, DistanceMetric.Manhattan })
                {
                    data.Add(type, metric);
                }
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(HalfTypes))]
    public void Kernels_over_half_width_rows_equal_float32_kernels_over_the_decoded_rows(VectorDataType type)
    {
        var random = new Random(3);

        // Every length up to 80 crosses the 512-bit, 256-bit and scalar paths and each masked tail.
        for (int length = 1; length <= 80; length++)
        {
            var query = Enumerable.Range(0, length).Select(_ => (float)(random.NextDouble() * 4 - 2)).ToArray();
            var vector = Enumerable.Range(0, length).Select(_ => (float)(random.NextDouble() * 4 - 2)).ToArray();
            var row = new byte[length * 2];
            Assert.True(RowCodec.TryEncode(type, vector, row));
            var decoded = new float[length];
            RowCodec.Decode(type, row, decoded);

            AssertClose(VectorMath.SquaredEuclidean(query, decoded), Compute<NonNegativeSumDistance<Float16Rows, SquaredDifferenceOperator>, NonNegativeSumDistance<BFloat16Rows, SquaredDifferenceOperator>>(type, query, row), length);
            AssertClose(-VectorMath.Dot(query, decoded), Compute<NegativeDotDistance<Float16Rows>, NegativeDotDistance<BFloat16Rows>>(type, query, row), length);
            AssertClose(VectorMath.Manhattan(query, decoded), Compute<NonNegativeSumDistance<Float16Rows, AbsoluteDifferenceOperator>, NonNegativeSumDistance<BFloat16Rows, AbsoluteDifferenceOperator>>(type, query, row), length);
        }
    }

    [Fact]
    public void Float16_rounds_to_nearest_and_flushes_subnormals_to_zero()
    {
        float[] values = [1f, -2.5f, 65504f, 1.00048828125f /* 1 + 2^-11: a tie, to even */, 3e-5f, -3e-5f, 6.2e-5f, 0.1f];
        var decoded = RoundTrip(VectorDataType.Float16, values);
        Assert.Equal([1f, -2.5f, 65504f, 1f, 0f, 0f], decoded[..6]);
        Assert.True(float.IsNegative(decoded[5]), "the sign of a flushed value is kept");
        Assert.Equal((float)(Half)6.2e-5f, decoded[6]); // the smallest normals stay
        Assert.Equal((float)(Half)0.1f, decoded[7]);
        Assert.False(RowCodec.TryEncode(VectorDataType.Float16, [65520f], new byte[2]));
    }

    [Fact]
    public void BFloat16_is_exact_for_bytes_and_rounds_other_values_to_nearest_even()
    {
        var bytes = Enumerable.Range(0, 257).Select(i => (float)i).ToArray();
        Assert.Equal(bytes, RoundTrip(VectorDataType.BFloat16, bytes));

        // 1 + 2^-8 lies halfway between 1 and 1 + 2^-7: ties go to the even mantissa (1); just above it rounds up.
        Assert.Equal([1f, 1.0078125f, -3f], RoundTrip(VectorDataType.BFloat16, [1.00390625f, 1.0040f, -3f]));
    }

    [Theory]
    [MemberData(nameof(HalfTypesByMetric))]
    public void A_half_width_graph_finds_the_float32_neighbors_with_close_scores(VectorDataType type, DistanceMetric metric)
    {
        var data = HnswIndexTests.Gaussian(2_000, 40, seed: 11);
        using var index = HnswIndexTests.Build(metric, data, type);
        var queries = HnswIndexTests.Gaussian(100, 40, seed: 12);
        var found = new Neighbor[10];
        var exact = new Neighbor[10];
        double recall = 0;
        for (int q = 0; q < queries.Count; q++)
        {
            Assert.Equal(10, index.Search(queries[q], 10, 100, found));
            var truth = HnswIndexTests.Oracle(metric, data, queries[q]).Take(10).ToArray();
            recall += Recall.AtK(found, truth, 10);

            // The exact scan over rounded rows finds the float32 truth up to near-ties, with distances within rounding.
            Assert.Equal(10, index.ExactSearch(queries[q], 10, exact));
            Assert.True(Recall.AtK(exact, truth, 10) >= 0.8);
        }

        Assert.True(recall / queries.Count >= 0.9, $"recall {recall / queries.Count:F3}");
        var vector = new float[40];
        index.CopyVector(0, vector);
        var expected = data[0].ToArray();
        if (metric == DistanceMetric.Cosine)
        {
            VectorMath.TryNormalize(expected, expected);
        }

        double tolerance = type == VectorDataType.Float16 ? 1e-3 : 8e-3;
        for (int i = 0; i < vector.Length; i++)
        {
            Assert.True(Math.Abs(vector[i] - expected[i]) <= tolerance * Math.Max(Math.Abs(expected[i]), 1e-2), $"component {i}: {vector[i]} vs {expected[i]}");
        }
    }

    [Theory]
    [MemberData(nameof(HalfTypes))]
    public void A_snapshot_keeps_the_data_type_and_the_rows(VectorDataType type)
    {
        var data = HnswIndexTests.Gaussian(500, 24, seed: 21);
        using var index = HnswIndexTests.Build(DistanceMetric.Euclid, data, type);
        using var stream = new MemoryStream();
        index.WriteSnapshot(stream);
        stream.Position = 0;
        using var loaded = HnswIndex.ReadSnapshot(stream);

        Assert.Equal(type, loaded.Parameters.DataType);
        Assert.Equal(index.MemoryBytes, loaded.MemoryBytes);
        var query = HnswIndexTests.Gaussian(1, 24, seed: 22)[0];
        var before = new Neighbor[10];
        var after = new Neighbor[10];
        index.Search(query, 10, 50, before);
        loaded.Search(query, 10, 50, after);
        Assert.Equal(before, after);
    }

    [Theory]
    [MemberData(nameof(HalfTypes))]
    public void A_rotated_prefix_over_half_width_rows_is_rescored_with_the_stored_rows(VectorDataType type)
    {
        var data = HnswIndexTests.Gaussian(1_500, 32, seed: 41);
        var rotation = Adaptive.PcaRotation.Fit([.. Enumerable.Range(0, 500).Select(i => data[i].ToArray())], 32, center: true);
        var queries = HnswIndexTests.Gaussian(50, 32, seed: 42);

        // Isotropic data gives a rotated prefix little to go on: the bar is float32's recall on the same walk.
        Assert.True(AdaptiveRecall(type) >= AdaptiveRecall(VectorDataType.Float32) - 0.03);

        double AdaptiveRecall(VectorDataType rows)
        {
            using var index = HnswIndexTests.Build(DistanceMetric.Euclid, data, rows);
            index.KeepRotatedPrefix(rotation.LeadingAxes(16));
            var adaptive = new Neighbor[10];
            var all = new Neighbor[1_500];
            double hits = 0;
            for (int q = 0; q < queries.Count; q++)
            {
                Assert.Equal(10, index.SearchAdaptive(queries[q], 10, 64, 16, 40, adaptive));
                int n = index.ExactSearch(queries[q], 1_500, all);
                var distanceOf = all[..n].ToDictionary(a => a.Id, a => a.Distance);
                Assert.All(adaptive, a => Assert.Equal(distanceOf[a.Id], a.Distance, 1e-3f));
                hits += adaptive.Select(a => a.Id).Intersect(all[..10].Select(a => a.Id)).Count();
            }

            return hits / (10.0 * queries.Count);
        }
    }

    [Fact]
    public void Half_width_rows_take_half_the_vector_memory()
    {
        var data = HnswIndexTests.Gaussian(300, 96, seed: 31);
        using var full = HnswIndexTests.Build(DistanceMetric.Euclid, data);
        using var half = HnswIndexTests.Build(DistanceMetric.Euclid, data, VectorDataType.Float16);
        Assert.Equal(300 * 96 * 2, full.MemoryBytes - half.MemoryBytes);
    }

    [Fact]
    public void A_value_float16_cannot_hold_is_refused_before_a_node_is_used()
    {
        using var index = new HnswIndex(4, DistanceMetric.Euclid, new HnswParameters { DataType = VectorDataType.Float16 });
        index.Add([1f, 2f, 3f, 4f]);
        Assert.Throws<InvalidRequestException>(() => index.Add([1f, 70_000f, 3f, 4f]));
        Assert.Equal(1, index.AllocatedCount);

        // Cosine stores unit vectors, so any finite direction fits.
        using var cosine = new HnswIndex(2, DistanceMetric.Cosine, new HnswParameters { DataType = VectorDataType.Float16 });
        cosine.Add([1e5f, 3e5f]);
    }

    private static float Compute<THalf, TBrainFloat>(VectorDataType type, float[] query, byte[] row)
        where THalf : struct, IDistanceFunction
        where TBrainFloat : struct, IDistanceFunction =>
        type == VectorDataType.Float16
            ? THalf.Compute(ref MemoryMarshal.GetArrayDataReference(query), ref MemoryMarshal.GetArrayDataReference(row), (nuint)query.Length)
            : TBrainFloat.Compute(ref MemoryMarshal.GetArrayDataReference(query), ref MemoryMarshal.GetArrayDataReference(row), (nuint)query.Length);

    private static void AssertClose(float expected, float actual, int length) =>
        Assert.True(Math.Abs(expected - actual) <= 1e-5 * (Math.Abs(expected) + length), $"length {length}: {actual} vs {expected}");

    private static float[] RoundTrip(VectorDataType type, float[] values)
    {
        var row = new byte[values.Length * 2];
        Assert.True(RowCodec.TryEncode(type, values, row));
        var decoded = new float[values.Length];
        RowCodec.Decode(type, row, decoded);
        return decoded;
    }
}
