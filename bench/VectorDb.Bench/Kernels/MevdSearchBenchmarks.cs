using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.VectorData;
using VectorDb.VectorData;

namespace VectorDb.Bench.Kernels;

/// <summary>
/// What the MEVD provider costs over the engine: <see cref="VectorDbCollection{TKey, TRecord}.SearchAsync"/> against a
/// direct <see cref="Collection.Search"/> of the same query with payloads (the data the records are made of), on
/// 20,000 × 128 records with one keyword and one integer data property, k = 10, ef 64, vectors not returned; and the
/// direct search whose caller reads those two fields from the hits' payloads, as an application would. Queries rotate
/// over 256 held-out vectors, the same for all.
/// </summary>
[BenchmarkCategory(BenchmarkCategories.Search)]
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "BenchmarkDotNet disposes the database in [GlobalCleanup]; its classes must not be sealed.")]
public class MevdSearchBenchmarks
{
    private const int Records = 20_000;
    private const int Dimensions = 128;
    private VectorDatabase _database = null!;
    private Collection _collection = null!;
    private VectorDbCollection<ulong, Article> _articles = null!;
    private SearchOptions _options = null!;
    private float[][] _queries = [];
    private int _next;

    public sealed class Article
    {
        [VectorStoreKey]
        public ulong Id { get; set; }

        [VectorStoreData(IsIndexed = true)]
        public string Category { get; set; } = "";

        [VectorStoreData(IsIndexed = true)]
        public int Year { get; set; }

        [VectorStoreVector(Dimensions, DistanceFunction = DistanceFunction.EuclideanDistance)]
        public ReadOnlyMemory<float> Embedding { get; set; }
    }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(7);
        var centres = Enumerable.Range(0, 64).Select(_ => Vector(random, 10)).ToArray();
        float[] Sample() => [.. centres[random.Next(centres.Length)].Select(c => c + ((float)random.NextDouble() - 0.5f))];
        _database = VectorDatabase.InMemory();
        _articles = new VectorDbCollection<ulong, Article>(_database, "articles", new VectorDbCollectionOptions { SearchEf = 64 });
        _articles.EnsureCollectionExistsAsync().GetAwaiter().GetResult();
        var articles = Enumerable.Range(0, Records).Select(i => new Article { Id = (ulong)i, Category = $"category-{i % 20}", Year = 1990 + (i % 35), Embedding = Sample() });
        _articles.UpsertAsync(articles).GetAwaiter().GetResult();
        _collection = _database.GetCollection("articles");
        _options = new SearchOptions { Ef = 64, WithPayload = true };
        _queries = [.. Enumerable.Range(0, 256).Select(_ => Sample())];
    }

    [GlobalCleanup]
    public void Cleanup() => _database?.Dispose();

    [Benchmark(Baseline = true)]
    public int Direct()
    {
        var hits = _collection.Search(_queries[_next++ & 255], 10, _options);
        return hits.Count;
    }

    /// <summary>The direct search as an application uses it: reading the two fields the records carry from each hit's payload.</summary>
    [Benchmark]
    public int DirectReadingFields()
    {
        int sum = 0;
        foreach (var hit in _collection.Search(_queries[_next++ & 255], 10, _options))
        {
            if (hit.Payload!.TryGetValue("Category", out var category) && hit.Payload.TryGetValue("Year", out var year))
            {
                sum += category.GetString()!.Length + year.GetInt32();
            }
        }

        return sum;
    }

    [Benchmark]
    public async Task<int> Mevd()
    {
        int count = 0;
        await foreach (var hit in _articles.SearchAsync(_queries[_next++ & 255], 10).ConfigureAwait(false))
        {
            count += hit.Record.Year;
        }

        return count;
    }

    private static float[] Vector(Random random, float scale) => [.. Enumerable.Range(0, Dimensions).Select(_ => (float)random.NextDouble() * scale)];
}
