using VectorDb.Hnsw;

namespace VectorDb.Core.Tests;

/// <summary>Graphs whose ids are another table's (reserved at chosen ids, with gaps), walks that report what they scored, and the MaxSim step.</summary>
public class HnswExploreTests
{
    public static TheoryData<VectorDataType> DataTypes => [VectorDataType.Float32, VectorDataType.Float16, VectorDataType.BFloat16];

    private static float[][] Vectors(int count, int dimensions, int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, count).Select(_ => Enumerable.Range(0, dimensions).Select(_ => (float)random.NextDouble() - 0.5f).ToArray())];
    }

    [Theory]
    [MemberData(nameof(DataTypes))]
    public void A_graph_reserved_at_chosen_ids_skips_the_gaps_and_survives_a_snapshot(VectorDataType dataType)
    {
        var vectors = Vectors(600, 20, seed: 1);
        using var index = new HnswIndex(20, DistanceMetric.Euclid, new HnswParameters { DataType = dataType });
        var ids = Enumerable.Range(0, vectors.Length).Where(i => i % 3 != 1).ToArray(); // every third id is a gap
        Parallel.ForEach(ids, id =>
        {
            index.Reserve(id, vectors[id]);
            index.Link(id);
        });

        Assert.Equal(ids.Length, index.Count);
        Assert.Equal(ids[^1] + 1, index.AllocatedCount);
        var found = new Neighbor[50];
        int n = index.ExactSearch(vectors[1], 50, found);
        Assert.Equal(50, n);
        Assert.All(found, neighbor => Assert.NotEqual(1, neighbor.Id % 3));
        Assert.Equal(found.Select(f => f.Id).Take(10), found.AsSpan(0, index.Search(vectors[1], 10, 200, found)).ToArray().Select(f => f.Id).Take(10));

        using var stream = new MemoryStream();
        index.WriteSnapshot(stream);
        stream.Position = 0;
        using var restored = HnswIndex.ReadSnapshot(stream);
        Assert.Equal(ids.Length, restored.Count);
        Assert.False(restored.IsLive(1));
        Assert.True(restored.IsLive(3));
    }

    [Theory]
    [MemberData(nameof(DataTypes))]
    public void Explore_reports_every_accepted_node_it_scored_nearest_first_and_more_than_its_beam(VectorDataType dataType)
    {
        var vectors = Vectors(2_000, 16, seed: 2);
        using var index = new HnswIndex(16, DistanceMetric.Cosine, new HnswParameters { DataType = dataType });
        foreach (var vector in vectors)
        {
            index.Add(vector);
        }

        var seen = new List<Neighbor>();
        index.Explore(vectors[7], 16, new EvenNodes(), seen);
        Assert.True(seen.Count > 16, $"{seen.Count} nodes seen");
        Assert.All(seen, neighbor => Assert.Equal(0, neighbor.Id % 2));
        Assert.Equal(seen.OrderBy(s => s.Distance).Select(s => s.Id), seen.Select(s => s.Id));
        Assert.Equal(seen.Count, seen.Select(s => s.Id).Distinct().Count());
    }

    [Theory]
    [MemberData(nameof(DataTypes))]
    public void RaiseToMaxDot_takes_each_query_to_its_best_dot_product_with_the_rows(VectorDataType dataType)
    {
        var vectors = Vectors(30, 24, seed: 3);
        using var index = new HnswIndex(24, DistanceMetric.Dot, new HnswParameters { DataType = dataType });
        foreach (var vector in vectors)
        {
            index.Add(vector);
        }

        var queries = Vectors(3, 24, seed: 4);
        int[] ids = [2, 5, 11, 29];
        var best = new float[3];
        Array.Fill(best, float.NegativeInfinity);
        index.RaiseToMaxDot([.. queries.SelectMany(q => q)], 3, ids, best);
        var row = new float[24];
        for (int q = 0; q < 3; q++)
        {
            float expected = ids.Max(id =>
            {
                index.CopyVector(id, row);
                return System.Numerics.Tensors.TensorPrimitives.Dot(queries[q], row);
            });
            Assert.Equal(expected, best[q], 1e-5);
        }

        Assert.Throws<ArgumentOutOfRangeException>(() => index.RaiseToMaxDot([.. queries.SelectMany(q => q)], 3, [30], best));
    }

    private readonly struct EvenNodes : INodeFilter
    {
        public bool Accept(int id) => id % 2 == 0;
    }
}
