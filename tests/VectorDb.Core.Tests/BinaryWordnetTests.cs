using VectorDb.Datasets;
using VectorDb.Hnsw;

namespace VectorDb.Core.Tests;

/// <summary>Real text embeddings (wordnet-arcticxs-384, 20,000 glosses, 100 queries) in one cosine graph, quantized in turn.</summary>
public sealed class WordnetIndexFixture : IDisposable
{
    public const int K = 10;

    public WordnetIndexFixture()
    {
        string folder = Path.Combine(TestData.Root, "wordnet-arcticxs-384");
        var rows = DatasetReader.Read(Path.Combine(folder, "base.fvecs"), 20_000);
        Queries = DatasetReader.Read(Path.Combine(folder, "query.fvecs"), 100);
        Index = new HnswIndex(rows.Dimensions, DistanceMetric.Cosine, new HnswParameters { M = 16, EfConstruction = 100 });
        Recall.BuildParallel(Index, rows);
        Truth = FashionMnistIndexFixture.ExactTruth(Index, Queries, K);
    }

    public VectorSet Queries { get; }

    public HnswIndex Index { get; }

    public int[][] Truth { get; }

    public double MeanRecall(QuantizationSearch search, int ef)
    {
        double sum = 0;
        var found = new Neighbor[K];
        for (int q = 0; q < Queries.Count; q++)
        {
            int n = Index.Search(Queries[q], K, ef, found, search);
            sum += Recall.AtK(found.AsSpan(0, n), Truth[q], K);
        }

        return sum / Queries.Count;
    }

    public void Dispose() => Index.Dispose();
}

/// <summary>
/// Binary codes on real embeddings: rescored walks reach recall floors that the rows' recall bounds (measured on the full
/// 50,000 at ef 64, oversampling 8: one bit 0.72, one bit with a 4-bit query 0.78, two bits with a 4-bit query 0.91;
/// docs/benchmarks.md). 384 dimensions are few for one bit per dimension.
/// </summary>
public class BinaryWordnetTests(WordnetIndexFixture data) : IClassFixture<WordnetIndexFixture>
{
    [Theory]
    [InlineData(BinaryEncoding.OneBit, BinaryQueryEncoding.Default, 0.6)]
    [InlineData(BinaryEncoding.OneBit, BinaryQueryEncoding.Scalar4Bits, 0.65)]
    [InlineData(BinaryEncoding.TwoBits, BinaryQueryEncoding.Scalar4Bits, 0.85)]
    [InlineData(BinaryEncoding.TwoBits, BinaryQueryEncoding.Scalar8Bits, 0.85)]
    public void Rescored_binary_walks_reach_their_recall(BinaryEncoding encoding, BinaryQueryEncoding query, double floor)
    {
        lock (data)
        {
            data.Index.Quantize(new BinaryQuantizationOptions { Encoding = encoding, QueryEncoding = query });
            Assert.True(data.Index.HasCodes);
            double rows = data.MeanRecall(new QuantizationSearch { Ignore = true }, ef: 64);
            double codes = data.MeanRecall(new QuantizationSearch { Oversampling = 8 }, ef: 64);
            Assert.True(codes >= floor, $"{encoding} {query}: recall@10 {codes:F3} at ef 64 x8 (rows: {rows:F3})");
            Assert.True(codes <= rows + 0.02, $"{encoding} {query}: codes {codes:F3} above rows {rows:F3}?");
        }
    }
}
