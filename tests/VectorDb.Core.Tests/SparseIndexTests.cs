using VectorDb.Hnsw;
using VectorDb.Sparse;

namespace VectorDb.Core.Tests;

public class SparseIndexTests
{
    [Fact]
    public void Vectors_are_sorted_by_index_and_bad_ones_refused()
    {
        var vector = SparseVector.Create([7, 2, 5], [0.7f, 0.2f, 0.5f]);
        Assert.Equal([2u, 5u, 7u], vector.Indices);
        Assert.Equal([0.2f, 0.5f, 0.7f], vector.Values);

        Assert.Contains("appears more than once", Assert.Throws<ArgumentException>(() => SparseVector.Create([1, 1], [1f, 2f])).Message);
        Assert.Contains("as many values as indices", Assert.Throws<ArgumentException>(() => SparseVector.Create([1, 2], [1f])).Message);
        Assert.Contains("not a finite number", Assert.Throws<ArgumentException>(() => SparseVector.Create([1], [float.NaN])).Message);
    }

    [Theory]
    [InlineData(1, false)]
    [InlineData(10, false)]
    [InlineData(10, true)]
    [InlineData(100, true)]
    public void Search_equals_brute_force_to_the_bit(int k, bool negativeWeights)
    {
        var random = new Random(k * 31 + (negativeWeights ? 1 : 0));
        using var index = new SparseIndex();
        var vectors = new Dictionary<int, SparseVector>();
        for (int node = 0; node < 3000; node++)
        {
            vectors[node] = RandomVector(random, dimensions: 400, terms: random.Next(0, 30), negativeWeights);
            index.Set(node, vectors[node]);
        }

        // Updates and deletes, so lists are edited in the middle.
        for (int i = 0; i < 600; i++)
        {
            int node = random.Next(3000);
            if (i % 3 == 0)
            {
                index.Remove(node);
                vectors.Remove(node);
            }
            else
            {
                vectors[node] = RandomVector(random, 400, random.Next(1, 30), negativeWeights);
                index.Set(node, vectors[node]);
            }
        }

        Assert.Equal(vectors.Count, index.Count);
        var results = new SparseHit[k];
        for (int q = 0; q < 200; q++)
        {
            var query = RandomVector(random, 400, random.Next(1, 12), negativeWeights);
            int found = index.Search(query, k, results, new AcceptAll());
            var expected = BruteForce(vectors, query, k, _ => true);

            Assert.Equal(expected.Count, found);
            Assert.Equal(expected, results.Take(found).ToList());

            // Scoring a node list from the stored vectors gives the same hits among those nodes, filter and all.
            int[] some = [.. Enumerable.Range(0, 3000).Where(n => n % 7 == q % 7)];
            found = index.SearchAmong(query, k, some, results, new OddNodes());
            Assert.Equal(BruteForce(vectors, query, k, n => n % 7 == q % 7 && n % 2 == 1), results.Take(found).ToList());
        }
    }

    [Fact]
    public void Ties_rank_the_lower_node_first_and_filters_apply()
    {
        using var index = new SparseIndex();
        var vectors = new Dictionary<int, SparseVector>();
        var random = new Random(5);
        for (int node = 0; node < 2000; node++)
        {
            // Few distinct weights: many equal scores.
            var indices = Enumerable.Range(0, 20).Where(_ => random.Next(4) == 0).Select(i => (uint)i).ToArray();
            vectors[node] = SparseVector.Create(indices, [.. indices.Select(_ => (float)random.Next(1, 3))]);
            index.Set(node, vectors[node]);
        }

        var odd = new OddNodes();
        var results = new SparseHit[10];
        for (int q = 0; q < 50; q++)
        {
            var indices = Enumerable.Range(0, 20).Where(_ => random.Next(3) == 0).Select(i => (uint)i).ToArray();
            var query = SparseVector.Create(indices, [.. indices.Select(_ => 1f)]);
            int found = index.Search(query, 10, results, odd);
            Assert.Equal(BruteForce(vectors, query, 10, node => node % 2 == 1), results.Take(found).ToList());
        }
    }

    [Fact]
    public void Idf_weights_follow_qdrant()
    {
        using var index = new SparseIndex();
        for (int node = 0; node < 10; node++)
        {
            index.Set(node, SparseVector.Create(node < 3 ? [1u, 2u] : [2u], node < 3 ? [1f, 1f] : [1f]));
        }

        var weighted = index.WeighByIdf(SparseVector.Create([1, 2, 3], [1f, 1f, 2f]));
        Assert.Equal(MathF.Log(((10 - 3 + 0.5f) / (3 + 0.5f)) + 1), weighted.Values[0]);
        Assert.Equal(MathF.Log(((10 - 10 + 0.5f) / (10 + 0.5f)) + 1), weighted.Values[1]);
        Assert.Equal(2 * MathF.Log(((10 + 0.5f) / 0.5f) + 1), weighted.Values[2]);
        Assert.Equal(3, index.DocumentFrequency(1));
    }

    private static SparseVector RandomVector(Random random, int dimensions, int terms, bool negativeWeights)
    {
        var indices = new HashSet<uint>();
        while (indices.Count < terms)
        {
            // Skewed towards low dimensions, as term frequencies are: long lists beside short ones.
            indices.Add((uint)(Math.Pow(random.NextDouble(), 3) * dimensions));
        }

        var values = indices.Select(_ => (float)(negativeWeights ? random.NextDouble() * 2 - 0.5 : random.NextDouble())).ToArray();
        return SparseVector.Create([.. indices], values);
    }

    /// <summary>Scores summed in ascending dimension order, best first, lower node first on ties.</summary>
    private static List<SparseHit> BruteForce(Dictionary<int, SparseVector> vectors, SparseVector query, int k, Func<int, bool> accept) =>
        [.. vectors
            .Where(pair => accept(pair.Key) && pair.Value.Indices.Intersect(query.Indices.Where((_, i) => query.Values[i] != 0)).Any())
            .Select(pair => new SparseHit(pair.Key, query.Dot(pair.Value)))
            .OrderByDescending(hit => hit.Score).ThenBy(hit => hit.Node)
            .Take(k)];

    private readonly struct OddNodes : INodeFilter
    {
        public bool Accept(int id) => id % 2 == 1;
    }
}
