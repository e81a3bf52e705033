using Microsoft.Extensions.VectorData;

namespace VectorDb.VectorData.Tests;

public sealed class HybridSearchTests
{
    public sealed class Article
    {
        [VectorStoreKey]
        public ulong Id { get; set; }

        [VectorStoreData(IsFullTextIndexed = true)]
        public string Body { get; set; } = "";

        [VectorStoreData(IsIndexed = true)]
        public string Section { get; set; } = "";

        [VectorStoreVector(4, DistanceFunction = DistanceFunction.EuclideanDistance)]
        public float[] Embedding { get; set; } = [];
    }

    private static readonly string[] Filler = ["market", "report", "weather", "garden", "travel", "recipe", "music", "river"];

    private static async Task<VectorDbCollection<ulong, Article>> ArticlesAsync(VectorDatabase database)
    {
        var articles = new VectorDbVectorStore(database).GetCollection<ulong, Article>("articles");
        await articles.EnsureCollectionExistsAsync();
        var random = new Random(5);
        await articles.UpsertAsync(Enumerable.Range(1, 40).Select(i => new Article
        {
            Id = (ulong)i,
            Body = i == 7 ? "Quantum entanglement of photon pairs" : $"{Filler[i % 8]} {Filler[(i * 3) % 8]} news",
            Section = i % 2 == 0 ? "even" : "odd",
            Embedding = i == 3 ? [0, 0, 0, 0] : [.. Enumerable.Range(0, 4).Select(_ => 5 + (float)random.NextDouble() * 5)],
        }));
        return articles;
    }

    [Fact]
    public async Task Dense_and_keyword_matches_are_fused_in_the_engine()
    {
        using var database = VectorDatabase.InMemory();
        var articles = await ArticlesAsync(database);
        Assert.Contains("Body.bm25", database.GetCollection("articles").Options.SparseVectors!.Keys);
        var hybrid = (IKeywordHybridSearchable<Article>)articles.GetService(typeof(IKeywordHybridSearchable<Article>))!; // as MEVD code finds it
        float[] query = [0.1f, 0, 0, 0]; // nearest: 3, whose words match nothing

        // 7 is first by keywords and somewhere in the dense leg too; 3 is first by vector and absent from the keyword
        // leg (no word in common): fused, 7 comes first, then 3.
        var hits = await hybrid.HybridSearchAsync(query, ["quantum", "photons"], top: 2).ToListAsync();
        Assert.Equal([7UL, 3UL], hits.Select(h => h.Record.Id));
        Assert.True(hits[0].Score > hits[1].Score);

        var denseOnly = await articles.SearchAsync(query, top: 2).Select(h => h.Record.Id).ToListAsync();
        Assert.DoesNotContain(7UL, denseOnly); // the keyword leg is what brings 7 in

        var odd = await hybrid.HybridSearchAsync(query, ["quantum"], top: 2, new HybridSearchOptions<Article> { Filter = a => a.Section == "even" }).ToListAsync();
        Assert.All(odd, h => Assert.Equal("even", h.Record.Section));

        var skipped = await hybrid.HybridSearchAsync(query, ["quantum"], top: 3, new HybridSearchOptions<Article> { Skip = 1, AdditionalProperty = a => a.Body }).ToListAsync();
        var all = await hybrid.HybridSearchAsync(query, ["quantum"], top: 4).ToListAsync();
        Assert.Equal(all.Skip(1).Select(h => h.Record.Id), skipped.Select(h => h.Record.Id));

        double threshold = all[1].Score!.Value;
        var passing = await hybrid.HybridSearchAsync(query, ["quantum"], top: 4, new HybridSearchOptions<Article> { ScoreThreshold = threshold }).ToListAsync();
        Assert.All(passing, h => Assert.True(h.Score >= threshold));
        Assert.InRange(passing.Count, 2, 4);

        // stop words only: the dense leg alone
        var stopWords = await hybrid.HybridSearchAsync(query, ["the", "of"], top: 1).SingleAsync();
        Assert.Equal(3UL, stopWords.Record.Id);
    }

    [Fact]
    public async Task A_collection_made_without_the_keyword_vector_gets_it()
    {
        using var database = VectorDatabase.InMemory();
        VectorStoreCollectionDefinition Definition(bool fullText) => new()
        {
            Properties =
            [
                new VectorStoreKeyProperty("Id", typeof(ulong)),
                new VectorStoreDataProperty("Body", typeof(string)) { IsFullTextIndexed = fullText },
                new VectorStoreVectorProperty("Embedding", typeof(float[]), 2),
            ],
        };
        var store = new VectorDbVectorStore(database);
        var plain = store.GetDynamicCollection("notes", Definition(fullText: false));
        await plain.EnsureCollectionExistsAsync();
        await plain.UpsertAsync(new Dictionary<string, object?> { ["Id"] = 1UL, ["Body"] = "violet sunset", ["Embedding"] = new float[] { 1, 0 } });
        Assert.Null(database.GetCollection("notes").Options.SparseVectors);

        var searchable = store.GetDynamicCollection("notes", Definition(fullText: true));
        await searchable.EnsureCollectionExistsAsync();
        Assert.True(database.GetCollection("notes").Options.SparseVectors!["Body.bm25"].Idf);
        await searchable.UpsertAsync(new Dictionary<string, object?> { ["Id"] = 2UL, ["Body"] = "green meadow", ["Embedding"] = new float[] { 0, 1 } });
        var hit = await searchable.HybridSearchAsync(new float[] { 1, 0 }, ["meadow"], top: 1).SingleAsync();
        Assert.Equal(2UL, hit.Record["Id"]); // first by keywords (1 has no keyword vector yet), second by vector: fused first

        var keyWithName = new VectorStoreCollectionDefinition
        {
            Properties = [new VectorStoreKeyProperty("Id", typeof(ulong)) { StorageName = "id" }, new VectorStoreVectorProperty("Embedding", typeof(float[]), 2)],
        };
        Assert.Throws<NotSupportedException>(() => store.GetDynamicCollection("named-key", keyWithName));
    }

    [Fact]
    public async Task Hybrid_search_needs_a_full_text_property()
    {
        using var database = VectorDatabase.InMemory();
        var notes = new VectorDbVectorStore(database).GetCollection<Guid, GuidNote>("notes");
        await notes.EnsureCollectionExistsAsync();
        await Assert.ThrowsAsync<InvalidOperationException>(() => notes.HybridSearchAsync(new float[] { 1, 2, 3 }, ["word"], 3).ToListAsync().AsTask());
    }
}
