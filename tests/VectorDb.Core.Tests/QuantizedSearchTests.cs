using VectorDb.Datasets;
using VectorDb.Distance;
using VectorDb.Hnsw;
using VectorDb.Quantization;

namespace VectorDb.Core.Tests;

/// <summary>Fashion-MNIST's 20,000-image graph with scalar codes, searched on the codes.</summary>
public sealed class QuantizedFashionMnistFixture : IDisposable
{
    public const int K = 10;

    public QuantizedFashionMnistFixture()
    {
        Base = TestData.FashionMnistBase(FashionMnistIndexFixture.BaseCount);
        Queries = TestData.FashionMnistQueries(FashionMnistIndexFixture.QueryCount);
        Index = new HnswIndex(Base.Dimensions, DistanceMetric.Euclid, new HnswParameters { M = 16, EfConstruction = 100 });
        Recall.BuildParallel(Index, Base);
        Truth = FashionMnistIndexFixture.ExactTruth(Index, Queries, K);
        Unquantized = Search(new QuantizationSearch(), ef: 64);
        Index.Quantize(new ScalarQuantizationOptions());
    }

    public VectorSet Base { get; }

    public VectorSet Queries { get; }

    public HnswIndex Index { get; }

    public int[][] Truth { get; }

    /// <summary>Each query's hits at ef 64 before the codes existed.</summary>
    public Neighbor[][] Unquantized { get; }

    public Neighbor[][] Search(QuantizationSearch quantization, int ef)
    {
        var found = new Neighbor[Queries.Count][];
        for (int q = 0; q < Queries.Count; q++)
        {
            var hits = new Neighbor[K];
            int n = Index.Search(Queries[q], K, ef, hits, quantization);
            found[q] = hits[..n];
        }

        return found;
    }

    public double MeanRecall(Neighbor[][] found) => found.Select((hits, q) => Recall.AtK(hits, Truth[q], K)).Average();

    public void Dispose() => Index.Dispose();
}

public class QuantizedSearchTests(QuantizedFashionMnistFixture data) : IClassFixture<QuantizedFashionMnistFixture>
{
    [Fact]
    public void Rescored_walks_on_codes_keep_the_recall_of_the_rows()
    {
        Assert.True(data.Index.HasCodes);
        double rowsRecall = data.MeanRecall(data.Unquantized);
        double codesRecall = data.MeanRecall(data.Search(new QuantizationSearch(), ef: 64));
        double oversampled = data.MeanRecall(data.Search(new QuantizationSearch { Oversampling = 3 }, ef: 64));
        Assert.True(codesRecall >= 0.95, $"recall@10 on codes, rescored, ef 64: {codesRecall:F4} (rows: {rowsRecall:F4})");
        Assert.True(oversampled >= codesRecall - 0.002, $"oversampling 3 gave {oversampled:F4}, oversampling 1 {codesRecall:F4}");
        Assert.True(oversampled >= rowsRecall - 0.01, $"oversampling 3 gave {oversampled:F4}, rows {rowsRecall:F4}");
    }

    [Fact]
    public void Without_rescoring_scores_are_the_codes_approximations()
    {
        var plain = data.Search(new QuantizationSearch { Rescore = false }, ef: 64);
        double recall = data.MeanRecall(plain);
        Assert.True(recall >= 0.85, $"recall@10 on codes without rescoring: {recall:F4}");

        // The scores are approximate: close to the true squared distances, but not equal to them.
        var exact = new float[plain.Length];
        double worst = 0;
        bool anyDiffers = false;
        for (int q = 0; q < 50; q++)
        {
            foreach (var hit in plain[q])
            {
                var row = new float[data.Base.Dimensions];
                data.Index.CopyVector(hit.Id, row);
                float truth = VectorMath.SquaredEuclidean(row, data.Queries[q]);
                worst = Math.Max(worst, Math.Abs(hit.Distance - truth) / truth);
                anyDiffers |= hit.Distance != truth;
            }
        }

        Assert.True(anyDiffers);
        Assert.True(worst < 0.05, $"largest relative error of a code distance: {worst:P2}");
    }

    [Fact]
    public void Ignoring_the_codes_walks_the_rows_as_before()
    {
        var ignored = data.Search(new QuantizationSearch { Ignore = true }, ef: 64);
        for (int q = 0; q < ignored.Length; q++)
        {
            Assert.Equal(data.Unquantized[q], ignored[q]);
        }
    }

    [Fact]
    public void Codes_survive_a_snapshot_unchanged()
    {
        using var stream = new MemoryStream();
        data.Index.WriteSnapshot(stream);
        stream.Position = 0;
        using var loaded = HnswIndex.ReadSnapshot(stream);
        Assert.True(loaded.HasCodes);
        Assert.Equal(data.Index.CodeMemoryBytes, loaded.CodeMemoryBytes);
        var hits = new Neighbor[10];
        var again = new Neighbor[10];
        for (int q = 0; q < 100; q++)
        {
            int n = data.Index.Search(data.Queries[q], 10, 32, hits, new QuantizationSearch { Rescore = false });
            Assert.Equal(n, loaded.Search(data.Queries[q], 10, 32, again, new QuantizationSearch { Rescore = false }));
            Assert.Equal(hits, again);
        }
    }
}

/// <summary>Scalar codes on small synthetic data: every metric, half-width rows, when codes are fitted and dropped.</summary>
public class ScalarCodesTests
{
    [Theory]
    [InlineData(DistanceMetric.Euclid)]
    [InlineData(DistanceMetric.Cosine)]
    [InlineData(DistanceMetric.Dot)]
    [InlineData(DistanceMetric.Manhattan)]
    public void Code_distances_approximate_every_metric(DistanceMetric metric)
    {
        var random = new Random(17);
        const int dimensions = 100;
        var rows = Enumerable.Range(0, 300).Select(_ => Gaussian(random, dimensions)).ToArray();
        var values = rows.SelectMany(r => r).ToArray();
        var book = ScalarCodes.Fit(metric, dimensions, new ScalarQuantizationOptions(), values);
        var query = Gaussian(random, dimensions);
        if (metric == DistanceMetric.Cosine)
        {
            foreach (var row in rows)
            {
                VectorMath.TryNormalize(row, row);
            }

            VectorMath.TryNormalize(query, query);
            book = ScalarCodes.Fit(metric, dimensions, new ScalarQuantizationOptions(), rows.SelectMany(r => r).ToArray());
        }

        var queryCodes = new byte[book.QueryBytes];
        book.EncodeQuery(query, queryCodes);
        var rowCodes = new byte[book.RowBytes];
        var exact = new List<double>();
        var approximate = new List<double>();
        foreach (var row in rows)
        {
            book.EncodeRow(row, rowCodes);
            ref float q = ref System.Runtime.CompilerServices.Unsafe.As<byte, float>(ref queryCodes[0]);
            approximate.Add(metric switch
            {
                DistanceMetric.Manhattan => ScalarL1CodeDistance.Compute(ref q, ref rowCodes[0], dimensions),
                DistanceMetric.Euclid => ScalarEuclidCodeDistance.Compute(ref q, ref rowCodes[0], dimensions),
                _ => ScalarDotCodeDistance.Compute(ref q, ref rowCodes[0], dimensions),
            });
            exact.Add(metric switch
            {
                DistanceMetric.Euclid => VectorMath.SquaredEuclidean(row, query),
                DistanceMetric.Manhattan => VectorMath.Manhattan(row, query),
                _ => -VectorMath.Dot(row, query),
            });
        }

        // Errors are small against the spread of the distances, so rankings hold.
        double spread = exact.Max() - exact.Min();
        double worst = exact.Zip(approximate, (e, a) => Math.Abs(e - a)).Max();
        Assert.True(worst < 0.03 * spread, $"{metric}: worst error {worst:G4} against a spread of {spread:G4}");
    }

    [Fact]
    public void Quantile_clips_outliers_to_the_ends_of_the_range()
    {
        var values = Enumerable.Range(0, 1000).Select(i => (float)i).Append(1e6f).ToArray();
        var all = ScalarCodes.Fit(DistanceMetric.Euclid, 1, new ScalarQuantizationOptions(), values.ToArray());
        var clipped = ScalarCodes.Fit(DistanceMetric.Euclid, 1, new ScalarQuantizationOptions { Quantile = 0.99f }, values.ToArray());
        Assert.Equal(1e6f / 127, all.Step[0], 1e-2f);
        Assert.True(clipped.Lower[0] >= 4 && clipped.Lower[0] + (127 * clipped.Step[0]) <= 996, $"lower {clipped.Lower[0]}, step {clipped.Step[0]}");
        var row = new byte[clipped.RowBytes];
        clipped.EncodeRow([1e6f], row);
        Assert.Equal(127, row[0]);
    }

    [Fact]
    public void Dot_and_cosine_get_a_range_per_dimension_L2_and_L1_one_for_all()
    {
        // Dimension 0 spans 0..1, dimension 1 spans 0..1000.
        float[] values = [.. Enumerable.Range(0, 500).SelectMany(i => new[] { i / 500f, i * 2f })];
        var dot = ScalarCodes.Fit(DistanceMetric.Dot, 2, new ScalarQuantizationOptions(), values.ToArray());
        Assert.Equal(1f / 127, dot.Step[0], 1e-3f);
        Assert.Equal(998f / 127, dot.Step[1], 1e-2f);
        var l1 = ScalarCodes.Fit(DistanceMetric.Manhattan, 2, new ScalarQuantizationOptions(), values.ToArray());
        Assert.Equal(l1.Step[0], l1.Step[1]);
    }

    [Theory]
    [InlineData(DistanceMetric.Euclid, VectorDataType.Float32)]
    [InlineData(DistanceMetric.Cosine, VectorDataType.Float16)]
    [InlineData(DistanceMetric.Dot, VectorDataType.BFloat16)]
    [InlineData(DistanceMetric.Manhattan, VectorDataType.Float32)]
    public void Rescored_code_walks_find_the_nearest_points(DistanceMetric metric, VectorDataType type)
    {
        var random = new Random(23);
        const int dimensions = 48;
        var centers = Enumerable.Range(0, 20).Select(_ => Gaussian(random, dimensions)).ToArray();
        float[] Near(float[] center) => [.. center.Zip(Gaussian(random, dimensions), (c, n) => c + (0.5f * n))];
        var rows = Enumerable.Range(0, 3000).Select(i => Near(centers[i % centers.Length])).ToArray();
        using var index = new HnswIndex(dimensions, metric, new HnswParameters { DataType = type, Seed = 5 });
        index.Quantize(new ScalarQuantizationOptions { Quantile = 0.999f });
        foreach (var row in rows)
        {
            index.Add(row);
        }

        Assert.True(index.HasCodes);
        double recall = 0;
        var exact = new Neighbor[10];
        var found = new Neighbor[10];
        for (int q = 0; q < 100; q++)
        {
            var query = Near(centers[q % centers.Length]);
            index.ExactSearch(query, 10, exact);
            Assert.Equal(10, index.Search(query, 10, 64, found, new QuantizationSearch { Oversampling = 2 }));
            recall += Recall.AtK(found, exact.Select(e => e.Id).ToArray(), 10) / 100;
            Assert.Equal(StoredDistance(index, metric, found[0].Id, query), found[0].Distance, 1e-3f); // rescored: the stored rows' distances
            Assert.True(found[0].Distance >= exact[0].Distance - 1e-5f);
        }

        Assert.True(recall >= 0.9, $"{metric} {type}: recall@10 {recall:F3}");
    }

    [Fact]
    public void Binary_codes_are_refused_under_Manhattan()
    {
        using var index = new HnswIndex(8, DistanceMetric.Manhattan);
        Assert.Throws<InvalidRequestException>(() => index.Quantize(new BinaryQuantizationOptions()));
    }

    [Fact]
    public void Codes_are_fitted_once_enough_rows_exist_and_dropped_on_request()
    {
        var random = new Random(29);
        using var index = new HnswIndex(16, DistanceMetric.Euclid);
        index.Quantize(new ScalarQuantizationOptions());
        for (int i = 0; i < HnswIndex.CodeTrainingRows - 1; i++)
        {
            index.Add(Gaussian(random, 16));
        }

        Assert.False(index.HasCodes);
        Assert.Equal(0, index.CodeMemoryBytes);
        int last = index.Add(Gaussian(random, 16));
        Assert.True(index.HasCodes);

        // A row added after the fit is encoded too: its own vector finds it first.
        var later = Gaussian(random, 16);
        int id = index.Add(later);
        var found = new Neighbor[1];
        index.Search(later, 1, 16, found, new QuantizationSearch { Rescore = false });
        Assert.Equal(id, found[0].Id);

        index.Quantize(new ScalarQuantizationOptions { Quantile = 0.9f });
        Assert.True(index.HasCodes);
        index.Quantize(null);
        Assert.False(index.HasCodes);
        Assert.Null(index.Quantization);
        Assert.True(last > 0);
    }

    [Fact]
    public void Out_of_range_settings_are_refused()
    {
        using var index = new HnswIndex(4, DistanceMetric.Euclid);
        Assert.Throws<InvalidRequestException>(() => index.Quantize(new ScalarQuantizationOptions { Quantile = 0.2f }));
        var found = new Neighbor[1];
        Assert.Throws<InvalidRequestException>(() => new QuantizationSearch { Oversampling = 0.5 }.Validate());
    }

    private static float StoredDistance(HnswIndex index, DistanceMetric metric, int id, float[] query)
    {
        var row = new float[index.Dimensions];
        index.CopyVector(id, row);
        var prepared = query.ToArray();
        if (metric == DistanceMetric.Cosine)
        {
            VectorMath.TryNormalize(prepared, prepared);
        }

        return metric switch
        {
            DistanceMetric.Euclid => VectorMath.SquaredEuclidean(row, prepared),
            DistanceMetric.Manhattan => VectorMath.Manhattan(row, prepared),
            _ => -VectorMath.Dot(row, prepared),
        };
    }

    private static float[] Gaussian(Random random, int dimensions) =>
        [.. Enumerable.Range(0, dimensions).Select(_ => (float)(Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble())))];
}
