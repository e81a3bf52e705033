using System.Numerics.Tensors;
using VectorDb.Datasets;
using VectorDb.Hnsw;

namespace VectorDb.Core.Tests;

/// <summary>
/// Data made of groups of near copies (the memory-tiers issue's 2,000,000-point set in small: 40 noisy copies of each of
/// 1,000 wordnet-arcticxs-384 vectors, moved a quarter of the median nearest-neighbour distance). With the beam alone as
/// the neighbour heuristic's choice, the copies crowd it and each group links to one or two others: recall@10 at ef 128
/// was 0.70–0.76 here. Widening the choice to everything the construction walk saw keeps the groups navigable (0.93–0.94).
/// </summary>
public sealed class NearCopiesTests
{
    private const int Bases = 1_000;
    private const int Copies = 40;
    private const int K = 10;

    [Fact]
    public void Groups_of_near_copies_stay_navigable()
    {
        string folder = Path.Combine(TestData.Root, "wordnet-arcticxs-384");
        var bases = DatasetReader.Read(Path.Combine(folder, "base.fvecs"), Bases);
        var queries = DatasetReader.Read(Path.Combine(folder, "query.fvecs"), 200);
        var copies = NoisyCopies(bases, Copies, new Random(7));
        using var index = new HnswIndex(bases.Dimensions, DistanceMetric.Cosine, new HnswParameters { M = 16, EfConstruction = 100 });
        Recall.BuildParallel(index, copies);
        var truth = FashionMnistIndexFixture.ExactTruth(index, queries, K);

        double sum = 0;
        var found = new Neighbor[K];
        for (int q = 0; q < queries.Count; q++)
        {
            int n = index.Search(queries[q], K, 128, found);
            sum += Recall.AtK(found.AsSpan(0, n), truth[q], K);
        }

        Assert.True(sum / queries.Count >= 0.85, $"recall@10 at ef 128: {sum / queries.Count:F3}");
    }

    private static VectorSet NoisyCopies(VectorSet bases, int copies, Random random)
    {
        int n = bases.Count, d = bases.Dimensions;
        var nearest = new float[n];
        for (int i = 0; i < n; i++)
        {
            nearest[i] = float.MaxValue;
            for (int j = 0; j < n; j++)
            {
                if (j != i)
                {
                    nearest[i] = Math.Min(nearest[i], TensorPrimitives.Distance(bases[i], bases[j]));
                }
            }
        }

        Array.Sort(nearest);
        float noise = 0.25f * nearest[n / 2];
        var rows = new float[n * copies * d];
        var direction = new float[d];
        for (int i = 0; i < n; i++)
        {
            for (int c = 0; c < copies; c++)
            {
                for (int k = 0; k < d; k++)
                {
                    direction[k] = (float)(Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble()));
                }

                var copy = rows.AsSpan((i * copies + c) * d, d);
                TensorPrimitives.MultiplyAdd(direction, noise / TensorPrimitives.Norm(direction), bases[i], copy);
                TensorPrimitives.Divide(copy, TensorPrimitives.Norm(copy), copy);
            }
        }

        return new VectorSet(rows, d);
    }
}
