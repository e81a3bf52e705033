using VectorDb.Query;
using VectorDb.Sparse;
using VectorDb.Storage;

namespace VectorDb.Tests;

/// <summary>
/// Several vectors per point: named dense vectors with their own graphs, sparse vectors with an exact inverted index,
/// points lacking some of them, updates of some vectors, vectors added to and removed from a collection, and all of it
/// through checkpoints and log replay.
/// </summary>
public sealed class NamedVectorTests : IDisposable
{
    private const int Points = 600;
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    private static CollectionOptions Options(bool unnamed = true) => new()
    {
        Dimensions = unnamed ? 4 : 0,
        Distance = DistanceMetric.Euclid,
        NamedVectors = new Dictionary<string, DenseVectorOptions>
        {
            ["text"] = new() { Dimensions = 8, Distance = DistanceMetric.Cosine },
            ["image"] = new() { Dimensions = 3, Distance = DistanceMetric.Dot, DataType = VectorDataType.Float16 },
        },
        SparseVectors = new Dictionary<string, SparseVectorOptions> { ["words"] = new(), ["bm25"] = new() { Idf = true } },
    };

    /// <summary>Point i: every point has "text" and "words"; every third lacks "image"; odd points lack "bm25".</summary>
    private static Point PointFor(int i, bool unnamed = true)
    {
        var random = new Random(i);
        float[] Dense(int length) => [.. Enumerable.Range(0, length).Select(_ => (float)random.NextDouble() - 0.5f)];
        var named = new Dictionary<string, float[]> { ["text"] = Dense(8) };
        if (i % 3 != 0)
        {
            named["image"] = Dense(3);
        }

        var sparse = new Dictionary<string, SparseVector> { ["words"] = SparseVector.Create([(uint)(i % 7), (uint)(10 + (i % 5)), 1000], [1f + (i % 3), 0.5f, i / 100f]) };
        if (i % 2 == 0)
        {
            sparse["bm25"] = SparseVector.Create([(uint)(i % 11)], [1f]);
        }

        return new Point((ulong)i, unnamed ? Dense(4) : null, Payload.Parse($$"""{"group": {{i % 4}}}""")) { NamedVectors = named, SparseVectors = sparse };
    }

    [Fact]
    public void Each_named_vector_is_searched_by_its_own_metric_and_matches_an_exact_scan()
    {
        using var database = VectorDatabase.InMemory();
        var collection = database.CreateCollection("c", Options());
        var points = Enumerable.Range(0, Points).Select(i => PointFor(i)).ToList();
        collection.Upsert(points);

        var query = PointFor(10_000).NamedVectors!["text"];
        var hits = collection.Search(query, 10, new SearchOptions { Using = "text", Exact = true });
        var expected = points.Select(p => (p.Id, Score: Cosine(query, p.NamedVectors!["text"]))).OrderByDescending(h => h.Score).Take(10).ToList();
        Assert.Equal(expected.Select(h => h.Id), hits.Select(h => h.Id));
        Assert.Equal(expected[0].Score, hits[0].Score, 1e-4);
        Assert.Equal(hits.Select(h => h.Id), collection.Search(query, 10, new SearchOptions { Using = "text", Ef = 200 }).Select(h => h.Id));

        // "image" is missing from every third point: those are never returned, whatever the query.
        var image = collection.Search([0.3f, -0.2f, 0.1f], 50, new SearchOptions { Using = "image", Exact = true });
        Assert.All(image, hit => Assert.NotEqual(0UL, hit.Id.Number % 3));
        Assert.Equal(Points - (Points / 3), collection.Search([0.3f, -0.2f, 0.1f], Collection.MaxSearchLimit, new SearchOptions { Using = "image", Exact = true }).Count);

        // Filters speak of points, so they work on every vector.
        var filtered = collection.Search(query, 5, new SearchOptions { Using = "text", Filter = Group(2), WithPayload = true });
        Assert.Equal(5, filtered.Count);
        Assert.All(filtered, hit => Assert.Equal(2, hit.Payload!.Root.GetProperty("group").GetInt32()));
    }

    [Fact]
    public void Sparse_search_is_an_exact_dot_product_with_ties_to_the_earlier_point_and_honours_filters()
    {
        using var database = VectorDatabase.InMemory();
        var collection = database.CreateCollection("c", Options());
        var points = Enumerable.Range(0, Points).Select(i => PointFor(i)).ToList();
        collection.Upsert(points);

        var query = SparseVector.Create([3, 12, 1000, 55], [2f, 1f, 0.25f, 9f]);
        var hits = collection.SearchSparse(query, 20, new SearchOptions { Using = "words" });
        var expected = points.Select(p => (p.Id, Score: query.Dot(p.SparseVectors!["words"]))).Where(h => h.Score != 0)
            .OrderByDescending(h => h.Score).ThenBy(h => h.Id.Number).Take(20).ToList();
        Assert.Equal(expected.Select(h => h.Id), hits.Select(h => h.Id));
        Assert.Equal(expected.Select(h => h.Score), hits.Select(h => h.Score));

        var groupOne = Group(1);
        var filtered = collection.SearchSparse(query, 20, new SearchOptions { Using = "words", Filter = groupOne, WithVector = true });
        Assert.Equal(
            points.Where(p => p.Id.Number % 4 == 1).Select(p => (p.Id, Score: query.Dot(p.SparseVectors!["words"]))).OrderByDescending(h => h.Score).ThenBy(h => h.Id.Number).Take(20).Select(h => h.Id),
            filtered.Select(h => h.Id));
        Assert.Equal(points[(int)filtered[0].Id.Number].SparseVectors!["words"].Indices, filtered[0].SparseVectors!["words"].Indices);

        // A selective filter that an index lists is answered by scoring its matches from their vectors: the same hits.
        var few = FilterJson.Parse("""{"must": [{"has_id": [3, 10, 17, 24, 31, 38, 45, 52, 59]}]}""");
        Assert.Equal(
            points.Where(p => p.Id.Number is 3 or 10 or 17 or 24 or 31 or 38 or 45 or 52 or 59).Select(p => (p.Id, Score: query.Dot(p.SparseVectors!["words"]))).Where(h => h.Score != 0)
                .OrderByDescending(h => h.Score).ThenBy(h => h.Id.Number).Take(5).Select(h => (h.Id, h.Score)),
            collection.SearchSparse(query, 5, new SearchOptions { Using = "words", Filter = few }).Select(h => (h.Id, h.Score)));
        collection.CreatePayloadIndex("group", PayloadSchemaType.Integer);
        Assert.Equal(filtered.Select(h => (h.Id, h.Score)), collection.SearchSparse(query, 20, new SearchOptions { Using = "words", Filter = groupOne }).Select(h => (h.Id, h.Score)));

        // A sparse vector is not searched as a dense one, nor the other way round, nor an unknown name.
        Assert.Throws<InvalidRequestException>(() => collection.SearchSparse(query, 5, new SearchOptions { Using = "text" }));
        Assert.Throws<InvalidRequestException>(() => collection.Search(new float[8], 5, new SearchOptions { Using = "words" }));
        Assert.Throws<InvalidRequestException>(() => collection.SearchSparse(query, 5, new SearchOptions { Using = "nope" }));
    }

    [Fact]
    public void Idf_weighs_each_query_term_by_its_inverse_document_frequency_over_the_points_that_have_the_vector()
    {
        using var database = VectorDatabase.InMemory();
        var collection = database.CreateCollection("c", Options());
        var points = Enumerable.Range(0, Points).Select(i => PointFor(i)).ToList();
        collection.Upsert(points);

        var hits = collection.SearchSparse(SparseVector.Create([4], [1f]), 3, new SearchOptions { Using = "bm25" });
        int withBm25 = points.Count(p => p.SparseVectors!.ContainsKey("bm25"));
        int df = points.Count(p => p.SparseVectors!.TryGetValue("bm25", out var v) && v.Indices.Contains(4u));
        float idf = MathF.Log(((withBm25 - df + 0.5f) / (df + 0.5f)) + 1f);
        Assert.Equal(idf, hits[0].Score, 1e-6);
    }

    [Fact]
    public void Has_vector_filters_by_which_vectors_a_point_holds_in_every_kind_of_search()
    {
        using var database = VectorDatabase.InMemory();
        var collection = database.CreateCollection("c", Options());
        var points = Enumerable.Range(0, 90).Select(i => PointFor(i)).ToList();
        collection.Upsert(points);

        Assert.Equal(60, collection.Count(FilterJson.Parse("""{"must": [{"has_vector": "image"}]}""")));
        Assert.Equal(45, collection.Count(FilterJson.Parse("""{"must": [{"has_vector": "bm25"}]}""")));
        Assert.Equal(90, collection.Count(FilterJson.Parse("""{"must": [{"has_vector": ""}]}""")));
        Assert.Equal(15, collection.Count(FilterJson.Parse("""{"must_not": [{"has_vector": "image"}, {"has_vector": "bm25"}]}""")));
        var hits = collection.Search(points[0].NamedVectors!["text"], 10, new SearchOptions { Using = "text", Filter = FilterJson.Parse("""{"must_not": [{"has_vector": "image"}]}""") });
        Assert.Equal(10, hits.Count);
        Assert.All(hits, hit => Assert.Equal(0UL, hit.Id.Number % 3));
        Assert.Throws<InvalidRequestException>(() => collection.Count(FilterJson.Parse("""{"must": [{"has_vector": "nope"}]}""")));
    }

    [Fact]
    public void A_collection_without_an_unnamed_vector_holds_points_by_their_named_vectors_only()
    {
        using var database = VectorDatabase.InMemory();
        var collection = database.CreateCollection("c", Options(unnamed: false));
        collection.Upsert(Enumerable.Range(0, 50).Select(i => PointFor(i, unnamed: false)));
        collection.Upsert(new Point(999, null, Payload.Parse("""{"only": "payload"}""")));

        Assert.Equal(51, collection.Count());
        Assert.Null(collection.Get(999)!.Vector);
        Assert.Throws<InvalidRequestException>(() => collection.Search(new float[4], 5));
        Assert.Throws<InvalidRequestException>(() => collection.Upsert(new Point(1000, [1, 2, 3, 4])));
        Assert.Equal(10, collection.Search(PointFor(7, unnamed: false).NamedVectors!["text"], 10, new SearchOptions { Using = "text" }).Count);
        collection.CreatePayloadIndex("group", PayloadSchemaType.Keyword); // no graph to link values on: postings only
        Assert.Equal(13, collection.Count(Group(1)));
    }

    [Fact]
    public void Bad_vectors_are_refused_by_name_and_nothing_of_the_batch_is_written()
    {
        using var database = VectorDatabase.InMemory();
        var collection = database.CreateCollection("c", Options());
        collection.Upsert(PointFor(1));
        var good = PointFor(2);

        Point[] bad =
        [
            good with { NamedVectors = new Dictionary<string, float[]>(good.NamedVectors!) { ["nope"] = [1] } },
            good with { NamedVectors = new Dictionary<string, float[]> { ["text"] = [1, 2] } },
            good with { NamedVectors = new Dictionary<string, float[]> { ["words"] = [1, 2] } },
            good with { NamedVectors = new Dictionary<string, float[]> { ["text"] = new float[8] } }, // zero under cosine
            good with { SparseVectors = new Dictionary<string, SparseVector> { ["text"] = SparseVector.Empty } },
            good with { SparseVectors = new Dictionary<string, SparseVector> { ["nope"] = SparseVector.Empty } },
            good with { Vector = null },
        ];
        foreach (var point in bad)
        {
            Assert.ThrowsAny<InvalidRequestException>(() => collection.Upsert([PointFor(3), point]));
        }

        Assert.Equal(1, collection.Count());
        Assert.Throws<ArgumentException>(() => SparseVector.Create([1, 1], [1, 2]));
        Assert.Throws<ArgumentException>(() => SparseVector.Create([1, 2], [1]));
    }

    [Fact]
    public void Updating_and_deleting_some_vectors_keeps_the_others_and_the_payload()
    {
        using var database = VectorDatabase.InMemory();
        var collection = database.CreateCollection("c", Options());
        collection.Upsert(Enumerable.Range(0, 20).Select(i => PointFor(i)));
        var before = collection.Get(5)!;

        float[] text = [1, 0, 0, 0, 0, 0, 0, 0];
        var sparse = SparseVector.Create([77], [3f]);
        Assert.Equal(1, collection.UpdateVectors([new Point(5, null) { NamedVectors = new Dictionary<string, float[]> { ["text"] = text }, SparseVectors = new Dictionary<string, SparseVector> { ["bm25"] = sparse } }, new Point(404, null) { NamedVectors = new Dictionary<string, float[]> { ["text"] = text } }]));
        var after = collection.Get(5)!;
        Assert.Equal(before.Vector, after.Vector);
        Assert.Equal(before.Payload, after.Payload);
        Assert.Equal(before.NamedVectors!["image"], after.NamedVectors!["image"]);
        Assert.Equal(text, after.NamedVectors!["text"]);
        Assert.Equal([77u], after.SparseVectors!["bm25"].Indices);
        Assert.Equal(5UL, collection.Search(text, 1, new SearchOptions { Using = "text", Exact = true })[0].Id.Number);
        Assert.Null(collection.Get(404));

        // An update filter admits only the points it matches (point 6 is in group 2, not 1).
        Assert.Equal(0, collection.UpdateVectors([new Point(6, null) { NamedVectors = new Dictionary<string, float[]> { ["text"] = text } }], updateFilter: Group(1)));

        Assert.Equal(1, collection.DeleteVectors([5UL, 404UL], ["image", "bm25"]));
        after = collection.Get(5)!;
        Assert.False(after.NamedVectors!.ContainsKey("image"));
        Assert.Null(after.SparseVectors?.GetValueOrDefault("bm25"));
        Assert.DoesNotContain(collection.SearchSparse(sparse, 5, new SearchOptions { Using = "bm25" }), hit => hit.Id.Number == 5);
        Assert.Throws<InvalidRequestException>(() => collection.DeleteVectors([5UL], [""]));
        Assert.Throws<InvalidRequestException>(() => collection.DeleteVectors([5UL], ["nope"]));
        Assert.Throws<InvalidRequestException>(() => collection.UpdateVectors([new Point(5, null)]));
    }

    [Fact]
    public void A_vector_added_to_a_collection_is_filled_by_updates_and_a_removed_one_takes_its_data_with_it()
    {
        using var database = VectorDatabase.InMemory();
        var collection = database.CreateCollection("c", Options());
        collection.Upsert(Enumerable.Range(0, 30).Select(i => PointFor(i)));

        collection.CreateVector("new", new DenseVectorOptions { Dimensions = 2, Distance = DistanceMetric.Euclid });
        Assert.Throws<InvalidRequestException>(() => collection.CreateVector("new", new SparseVectorOptions()));
        Assert.Empty(collection.Search([0, 0], 5, new SearchOptions { Using = "new" }));
        collection.UpdateVectors(Enumerable.Range(0, 30).Select(i => new Point((ulong)i, null) { NamedVectors = new Dictionary<string, float[]> { ["new"] = [i, 0] } }));
        Assert.Equal([0UL, 1UL, 2UL], collection.Search([0, 0], 3, new SearchOptions { Using = "new" }).Select(h => h.Id.Number));

        Assert.True(collection.DeleteVector("words"));
        Assert.False(collection.DeleteVector("words"));
        Assert.False(collection.Options.SparseVectors!.ContainsKey("words"));
        Assert.Null(collection.Get(3)!.SparseVectors?.GetValueOrDefault("words"));
        collection.CreateVector("words", new SparseVectorOptions());
        Assert.Empty(collection.SearchSparse(SparseVector.Create([1000], [1f]), 5, new SearchOptions { Using = "words" }));
        Assert.Throws<InvalidRequestException>(() => collection.DeleteVector(""));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Named_and_sparse_vectors_survive_reopening_from_a_checkpoint_or_the_log(bool checkpoint)
    {
        var query = PointFor(5_000).NamedVectors!["text"];
        var sparseQuery = SparseVector.Create([2, 11, 1000], [1f, 2f, 1f]);
        List<ulong> dense, sparse, image;
        using (var database = VectorDatabase.Open(_directory.Path, new StorageOptions { CheckpointOnDispose = false }))
        {
            var collection = database.CreateCollection("c", Options());
            collection.Upsert(Enumerable.Range(0, Points).Select(i => PointFor(i)));
            collection.UpdateVectors([new Point(4, null) { NamedVectors = new Dictionary<string, float[]> { ["image"] = [1, 1, 1] } }]);
            collection.DeleteVectors([8UL], ["words"]);
            collection.CreateVector("extra", new SparseVectorOptions { Idf = true });
            collection.UpdateVectors([new Point(9, null) { SparseVectors = new Dictionary<string, SparseVector> { ["extra"] = SparseVector.Create([1], [1f]) } }]);
            collection.DeleteVector("bm25");
            if (checkpoint)
            {
                database.Checkpoint();
            }

            dense = Ids(collection.Search(query, 10, new SearchOptions { Using = "text", Exact = true }));
            sparse = Ids(collection.SearchSparse(sparseQuery, 10, new SearchOptions { Using = "words" }));
            image = Ids(collection.Search([1, 1, 1], 3, new SearchOptions { Using = "image", Exact = true }));
        }

        using (var database = VectorDatabase.Open(_directory.Path))
        {
            var collection = database.GetCollection("c");
            Assert.Equal(Points, collection.Count());
            Assert.Equal(dense, Ids(collection.Search(query, 10, new SearchOptions { Using = "text", Exact = true })));
            Assert.Equal(sparse, Ids(collection.SearchSparse(sparseQuery, 10, new SearchOptions { Using = "words" })));
            Assert.Equal(image, Ids(collection.Search([1, 1, 1], 3, new SearchOptions { Using = "image", Exact = true })));
            Assert.Null(collection.Get(8)!.SparseVectors?.GetValueOrDefault("words"));
            Assert.Equal([1u], collection.Get(9)!.SparseVectors!["extra"].Indices);
            Assert.False(collection.Options.SparseVectors!.ContainsKey("bm25"));
            Assert.Throws<InvalidRequestException>(() => collection.SearchSparse(sparseQuery, 5, new SearchOptions { Using = "bm25" }));

            // Writes go on after recovery on fresh nodes of every space.
            var next = PointFor(Points);
            collection.Upsert(next with { SparseVectors = next.SparseVectors!.Where(v => v.Key != "bm25").ToDictionary() });
            Assert.Equal((ulong)Points, collection.Search(next.NamedVectors!["text"], 1, new SearchOptions { Using = "text", Exact = true })[0].Id.Number);
            Assert.Contains(collection.SearchSparse(next.SparseVectors!["words"], 10, new SearchOptions { Using = "words" }), hit => hit.Id.Number == Points);
        }
    }

    [Fact]
    public void A_damaged_named_vector_snapshot_is_rebuilt_from_the_stored_points_with_every_vector()
    {
        var query = PointFor(5_000).NamedVectors!["text"];
        List<ulong> expected;
        using (var database = VectorDatabase.Open(_directory.Path))
        {
            var collection = database.CreateCollection("c", Options());
            collection.Upsert(Enumerable.Range(0, 200).Select(i => PointFor(i)));
            expected = Ids(collection.Search(query, 10, new SearchOptions { Using = "text", Exact = true }));
        }

        string snapshot = Directory.GetFiles(Path.Combine(_directory.Path, "checkpoints"), "*.vector-*.hnsw", SearchOption.AllDirectories)
            .OrderDescending(StringComparer.Ordinal).First();
        using (var file = new FileStream(snapshot, FileMode.Open, FileAccess.ReadWrite))
        {
            file.Position = file.Length / 2;
            file.WriteByte((byte)(file.ReadByte() ^ 0xFF));
        }

        var logger = new ListLogger();
        using (var database = VectorDatabase.Open(_directory.Path, null, logger))
        {
            var collection = database.GetCollection("c");
            Assert.Contains(logger.Messages, m => m.Contains("rebuilding", StringComparison.Ordinal));
            Assert.Equal(200, collection.Count());
            Assert.Equal(expected, Ids(collection.Search(query, 10, new SearchOptions { Using = "text", Exact = true })));
            Assert.Equal(PointFor(3).SparseVectors!["words"].Values, collection.Get(3)!.SparseVectors!["words"].Values);
            Assert.Null(collection.Get(3)!.NamedVectors!.GetValueOrDefault("image"));
        }
    }

    private static Filter Group(int group) => FilterJson.Parse($$$"""{"must": [{"key": "group", "match": {"value": {{{group}}}}}]}""");

    private static List<ulong> Ids(SearchResults results) => [.. results.Select(h => h.Id.Number)];

    private static float Cosine(float[] a, float[] b) =>
        System.Numerics.Tensors.TensorPrimitives.CosineSimilarity(a, b);
}
