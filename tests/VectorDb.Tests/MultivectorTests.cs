using VectorDb.Query;
using VectorDb.Storage;

namespace VectorDb.Tests;

/// <summary>Multivectors scored by MaxSim: searched through their graph, equal to a brute-force MaxSim when exact, and kept through restarts.</summary>
public sealed class MultivectorTests : IDisposable
{
    private const int Dimensions = 16;
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    private static CollectionOptions Options(DistanceMetric distance = DistanceMetric.Cosine) => new()
    {
        Dimensions = 0,
        NamedVectors = new Dictionary<string, DenseVectorOptions>
        {
            ["colbert"] = new() { Dimensions = Dimensions, Distance = distance, Multivector = MultivectorComparator.MaxSim },
            ["dense"] = new() { Dimensions = 2, Distance = DistanceMetric.Euclid },
        },
    };

    /// <summary>Point i holds 1 + i % 5 vectors; every point has "dense".</summary>
    private static Point PointFor(int i)
    {
        var random = new Random(i);
        var multi = Enumerable.Range(0, 1 + (i % 5)).Select(_ => Vector(random)).ToArray();
        return new Point((ulong)i, null, Payload.Parse($$"""{"odd": {{(i % 2 == 1 ? "true" : "false")}}}"""))
        {
            Multivectors = new Dictionary<string, float[][]> { ["colbert"] = multi },
            NamedVectors = new Dictionary<string, float[]> { ["dense"] = [i, 0] },
        };
    }

    private static float[] Vector(Random random) => [.. Enumerable.Range(0, Dimensions).Select(_ => (float)random.NextDouble() - 0.5f)];

    private static float MaxSim(float[][] query, float[][] document, bool cosine)
    {
        float Similarity(float[] a, float[] b) => cosine
            ? System.Numerics.Tensors.TensorPrimitives.CosineSimilarity(a, b)
            : System.Numerics.Tensors.TensorPrimitives.Dot(a, b);
        return query.Sum(q => document.Max(d => Similarity(q, d)));
    }

    private static List<ulong> BruteForce(List<Point> points, float[][] query, int k, bool cosine, Func<Point, bool>? filter = null) =>
        [.. points.Where(p => filter?.Invoke(p) != false).Select(p => (p.Id.Number, Score: MaxSim(query, p.Multivectors!["colbert"], cosine)))
            .OrderByDescending(h => h.Score).ThenBy(h => h.Number).Take(k).Select(h => h.Number)];

    [Theory]
    [InlineData(DistanceMetric.Cosine)]
    [InlineData(DistanceMetric.Dot)]
    public void Exact_multivector_search_equals_a_brute_force_MaxSim_and_the_graph_finds_nearly_all_of_it(DistanceMetric distance)
    {
        using var database = VectorDatabase.InMemory();
        var collection = database.CreateCollection("c", Options(distance));
        var points = Enumerable.Range(0, 800).Select(PointFor).ToList();
        collection.Upsert(points);
        var random = new Random(40_042);
        int agreed = 0, total = 0;
        for (int q = 0; q < 20; q++)
        {
            float[][] query = [Vector(random), Vector(random), Vector(random)];
            var expected = BruteForce(points, query, 10, distance == DistanceMetric.Cosine);
            var exact = collection.SearchMultivector(query, 10, new SearchOptions { Using = "colbert", Exact = true });
            Assert.Equal(expected, exact.Select(h => h.Id.Number));
            Assert.Equal(MaxSim(query, points[(int)expected[0]].Multivectors!["colbert"], distance == DistanceMetric.Cosine), exact[0].Score, 1e-4);

            var approximate = collection.SearchMultivector(query, 10, new SearchOptions { Using = "colbert", Ef = 64 });
            agreed += approximate.Count(h => expected.Contains(h.Id.Number));
            total += 10;
        }

        Assert.True(agreed >= 0.9 * total, $"recall {agreed / (double)total:F3}");
    }

    [Fact]
    public void Filters_updates_deletes_and_bad_input_work_on_multivectors()
    {
        using var database = VectorDatabase.InMemory();
        var collection = database.CreateCollection("c", Options());
        var points = Enumerable.Range(0, 200).Select(PointFor).ToList();
        collection.Upsert(points);
        var random = new Random(70_007); // not a seed of PointFor, whose points would hold the query itself
        float[][] query = [Vector(random), Vector(random)];

        var odd = FilterJson.Parse("""{"must": [{"key": "odd", "match": {"value": true}}]}""");
        var filtered = collection.SearchMultivector(query, 10, new SearchOptions { Using = "colbert", Filter = odd, Exact = true, WithVector = true });
        Assert.Equal(BruteForce(points, query, 10, cosine: true, p => p.Id.Number % 2 == 1), filtered.Select(h => h.Id.Number));
        Assert.Equal(1 + ((int)filtered[0].Id.Number % 5), filtered[0].Multivectors!["colbert"].Length);

        // Point 3 takes the query itself as its multivector: it becomes the best match; deleting the multivector removes it.
        collection.UpdateVectors([new Point(3, null) { Multivectors = new Dictionary<string, float[][]> { ["colbert"] = query } }]);
        Assert.Equal(3UL, collection.SearchMultivector(query, 1, new SearchOptions { Using = "colbert" })[0].Id.Number);
        Assert.Equal([3f, 0f], collection.Get(3)!.NamedVectors!["dense"]);
        collection.DeleteVectors([3UL], ["colbert"]);
        Assert.DoesNotContain(collection.SearchMultivector(query, 10, new SearchOptions { Using = "colbert", Exact = true }), h => h.Id.Number == 3);
        collection.Delete([5UL]);
        Assert.DoesNotContain(collection.SearchMultivector(query, 200, new SearchOptions { Using = "colbert", Exact = true }), h => h.Id.Number == 5);

        // A filter the walks rarely meet is completed by scoring its matches: all of them are found.
        var three = FilterJson.Parse("""{"must": [{"has_id": [11, 111, 199]}]}""");
        Assert.Equal([11UL, 111UL, 199UL], collection.SearchMultivector(query, 10, new SearchOptions { Using = "colbert", Ef = 4, Filter = three }).Select(h => h.Id.Number).Order());

        // A point's vectors must fit one record of the point store.
        var huge = new Point(901, null) { Multivectors = new Dictionary<string, float[][]> { ["colbert"] = [.. Enumerable.Range(0, 50_000).Select(_ => Vector(random))] } };
        Assert.Contains("bytes of vectors", Assert.Throws<InvalidRequestException>(() => collection.Upsert(huge)).Message, StringComparison.Ordinal);

        Point[] bad =
        [
            new Point(900, null) { Multivectors = new Dictionary<string, float[][]> { ["colbert"] = [] } },
            new Point(900, null) { Multivectors = new Dictionary<string, float[][]> { ["colbert"] = [new float[3]] } },
            new Point(900, null) { Multivectors = new Dictionary<string, float[][]> { ["dense"] = [[1, 2]] } },
            new Point(900, null) { NamedVectors = new Dictionary<string, float[]> { ["colbert"] = new float[Dimensions] } },
        ];
        foreach (var point in bad)
        {
            Assert.ThrowsAny<InvalidRequestException>(() => collection.Upsert(point));
        }

        Assert.Throws<InvalidRequestException>(() => collection.SearchMultivector([], 5, new SearchOptions { Using = "colbert" }));
        Assert.Throws<InvalidRequestException>(() => collection.SearchMultivector(query, 5, new SearchOptions { Using = "dense" }));
        Assert.Throws<InvalidRequestException>(() => collection.Search(new float[Dimensions], 5, new SearchOptions { Using = "colbert" }));
        Assert.Throws<InvalidRequestException>(() => database.CreateCollection("euclid", new CollectionOptions
        {
            Dimensions = 0,
            NamedVectors = new Dictionary<string, DenseVectorOptions> { ["m"] = new() { Dimensions = 2, Distance = DistanceMetric.Euclid, Multivector = MultivectorComparator.MaxSim } },
        }));
    }

    [Fact]
    public void A_vector_update_is_refused_when_the_point_would_hold_more_than_a_stored_record_can()
    {
        using var database = VectorDatabase.InMemory();
        var collection = database.CreateCollection("c", new CollectionOptions
        {
            Dimensions = 0,
            NamedVectors = new Dictionary<string, DenseVectorOptions>
            {
                ["a"] = new() { Dimensions = 64, Distance = DistanceMetric.Dot, Multivector = MultivectorComparator.MaxSim },
                ["b"] = new() { Dimensions = 64, Distance = DistanceMetric.Dot, Multivector = MultivectorComparator.MaxSim },
            },
        });
        var random = new Random(9);
        float[][] Matrix() => [.. Enumerable.Range(0, 7_000).Select(_ => Enumerable.Range(0, 64).Select(_ => (float)random.NextDouble()).ToArray())];
        collection.Upsert(new Point(1, null) { Multivectors = new Dictionary<string, float[][]> { ["a"] = Matrix() } });

        var update = new Point(1, null) { Multivectors = new Dictionary<string, float[][]> { ["b"] = Matrix() } }; // fine alone, too much with "a"
        Assert.Contains("bytes of vectors", Assert.Throws<InvalidRequestException>(() => collection.UpdateVectors([update])).Message, StringComparison.Ordinal);
        Assert.False(collection.Get(1)!.Multivectors!.ContainsKey("b"));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Multivectors_survive_reopening_from_a_checkpoint_or_the_log(bool checkpoint)
    {
        var random = new Random(30_003);
        float[][] query = [Vector(random), Vector(random)];
        List<ulong> expected;
        using (var database = VectorDatabase.Open(_directory.Path, new StorageOptions { CheckpointOnDispose = false }))
        {
            var collection = database.CreateCollection("c", Options());
            collection.Upsert(Enumerable.Range(0, 300).Select(PointFor));
            collection.Delete([7UL]);
            collection.UpdateVectors([new Point(8, null) { Multivectors = new Dictionary<string, float[][]> { ["colbert"] = query } }]);
            if (checkpoint)
            {
                database.Checkpoint();
            }

            expected = [.. collection.SearchMultivector(query, 10, new SearchOptions { Using = "colbert", Exact = true }).Select(h => h.Id.Number)];
            Assert.Equal(8UL, expected[0]);
        }

        using (var database = VectorDatabase.Open(_directory.Path))
        {
            var collection = database.GetCollection("c");
            Assert.Equal(299, collection.Count());
            Assert.Equal(expected, collection.SearchMultivector(query, 10, new SearchOptions { Using = "colbert", Exact = true }).Select(h => h.Id.Number));
            Assert.Equal(8UL, collection.SearchMultivector(query, 1, new SearchOptions { Using = "colbert" })[0].Id.Number);
            Assert.Equal(1 + (4 % 5), collection.Get(4)!.Multivectors!["colbert"].Length);
            collection.Upsert(PointFor(1000));
            Assert.Equal(300, collection.Count());
        }
    }
}
