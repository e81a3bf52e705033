using VectorDb.Query;
namespace VectorDb.Tests;

public class VectorDatabaseTests
{
    private static CollectionOptions Options(int dims = 4, DistanceMetric distance = DistanceMetric.Cosine) =>
        new() { Dimensions = dims, Distance = distance };

    [Fact]
    public void Collections_can_be_created_listed_fetched_and_deleted()
    {
        using var db = VectorDatabase.InMemory();
        db.CreateCollection("b", Options());
        db.CreateCollection("a", Options());
        Assert.Equal(["a", "b"], db.ListCollections());
        Assert.Equal("a", db.GetCollection("a").Name);
        Assert.True(db.CollectionExists("b"));
        Assert.True(db.DeleteCollection("a"));
        Assert.False(db.DeleteCollection("a"));
        Assert.Equal(["b"], db.ListCollections());
        Assert.Throws<CollectionNotFoundException>(() => db.GetCollection("a"));
    }

    [Fact]
    public void Searches_and_counts_stop_when_cancelled_and_change_nothing()
    {
        using var db = VectorDatabase.InMemory();
        var collection = db.CreateCollection("c", Options(dims: 2, distance: DistanceMetric.Euclid));
        collection.Upsert(Enumerable.Range(0, 100).Select(i => new Point((ulong)i, [i, 1], Payload.From(new Dictionary<string, object?> { ["n"] = i }))));
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        var filter = Query.FilterJson.Parse("""{"must": [{"key": "n", "range": {"lt": 50}}]}""");

        Assert.Throws<OperationCanceledException>(() => collection.Search([3, 1], 5, new SearchOptions { Exact = true }, cancelled.Token));
        Assert.Throws<OperationCanceledException>(() => collection.Search([3, 1], 5, new SearchOptions { Filter = filter }, cancelled.Token));
        Assert.Throws<OperationCanceledException>(() => collection.Count(filter, cancelled.Token));
        Assert.Equal(50, collection.Count(filter));
        Assert.Equal(3UL, collection.Search([3, 1], 1)[0].Id.Number);
    }

    [Fact]
    public void Adaptive_search_rescores_with_the_whole_vector_and_explains_itself()
    {
        using var db = VectorDatabase.InMemory();
        var collection = db.CreateCollection("m", Options(dims: 32, distance: DistanceMetric.Euclid));
        var random = new Random(5);
        var vectors = Enumerable.Range(0, 1500).Select(_ => Enumerable.Range(0, 32).Select(d => (float)(random.NextDouble() / (1 + d))).ToArray()).ToArray();
        collection.Upsert(vectors.Select((v, i) => new Point((ulong)i, v)));
        var query = vectors[42];

        var adaptive = collection.Search(query, 10, new SearchOptions { Ef = 64, Explain = true, Adaptive = new AdaptiveSearch { SearchDimensions = 8, Oversampling = 4 } });
        var exact = collection.Search(query, 1500, new SearchOptions { Exact = true }).ToDictionary(h => h.Id, h => h.Score);

        Assert.Equal(10, adaptive.Count);
        Assert.Equal(42UL, adaptive[0].Id.Number);
        Assert.All(adaptive, hit => Assert.Equal(exact[hit.Id], hit.Score, 1e-5f)); // full-precision scores
        Assert.Equal(Query.SearchStrategy.Adaptive, adaptive.Explain!.Strategy);
        Assert.Contains("8 of 32 dimensions", adaptive.Explain.Reason, StringComparison.Ordinal);

        // A target recall: the collection calibrates on its own points, says what it chose, and reaches it here too.
        var queries = Enumerable.Range(0, 40).Select(_ => Enumerable.Range(0, 32).Select(d => (float)(random.NextDouble() / (1 + d))).ToArray()).ToList();
        double hits = 0;
        foreach (var q in queries)
        {
            var truth = collection.Search(q, 10, new SearchOptions { Exact = true }).Select(h => h.Id).ToHashSet();
            var calibrated = collection.Search(q, 10, new SearchOptions { Explain = true, Adaptive = new AdaptiveSearch { TargetRecall = 0.9 } });
            Assert.Contains("calibrated for recall 0.9", calibrated.Explain!.Reason, StringComparison.Ordinal);
            hits += calibrated.Count(h => truth.Contains(h.Id));
        }

        Assert.True(hits / 400 >= 0.85, $"calibrated for 0.9, reached {hits / 400:F3} on other queries");

        var filter = Query.FilterJson.Parse("""{"must": [{"has_id": [1]}]}""");
        Assert.Throws<InvalidRequestException>(() => collection.Search(query, 10, new SearchOptions { Adaptive = new AdaptiveSearch { SearchDimensions = 33 } }));
        Assert.Throws<InvalidRequestException>(() => collection.Search(query, 10, new SearchOptions { Adaptive = new AdaptiveSearch() }));
        Assert.Throws<InvalidRequestException>(() => collection.Search(query, 10, new SearchOptions { Adaptive = new AdaptiveSearch { TargetRecall = 0 } }));
        Assert.Throws<InvalidRequestException>(() => collection.Search(query, 10, new SearchOptions { Adaptive = new AdaptiveSearch { SearchDimensions = 8, Oversampling = 0 } }));
        Assert.Throws<InvalidRequestException>(() => collection.Search(query, 10, new SearchOptions { Exact = true, Adaptive = new AdaptiveSearch { SearchDimensions = 8 } }));
        var filtered = collection.Search(query, 10, new SearchOptions { Filter = filter, Explain = true, Adaptive = new AdaptiveSearch { SearchDimensions = 8 } });
        Assert.Equal([1UL], filtered.Select(hit => hit.Id.Number));
        Assert.Equal(8, filtered.Explain!.SearchDimensions);
        Assert.Throws<InvalidRequestException>(() => collection.Search(query, 10, new SearchOptions { Filter = filter, Adaptive = new AdaptiveSearch { SearchDimensions = 8, RescoreDimensions = 16 } }));
    }

    [Fact]
    public void Duplicate_and_invalid_collections_are_rejected()
    {
        using var db = VectorDatabase.InMemory();
        db.CreateCollection("docs", Options());
        Assert.Throws<CollectionAlreadyExistsException>(() => db.CreateCollection("docs", Options()));
        Assert.Throws<InvalidRequestException>(() => db.CreateCollection("", Options()));
        Assert.Throws<InvalidRequestException>(() => db.CreateCollection("../etc", Options()));
        Assert.Throws<InvalidRequestException>(() => db.CreateCollection("a/b", Options()));
        Assert.Throws<InvalidRequestException>(() => db.CreateCollection(new string('x', 256), Options()));
        Assert.Throws<InvalidRequestException>(() => db.CreateCollection("x", Options(dims: -1)));
        Assert.Throws<InvalidRequestException>(() => db.CreateCollection("x", Options() with { M = 1 }));
        Assert.Throws<InvalidRequestException>(() => db.CreateCollection("x", Options() with { EfConstruction = 0 }));
        Assert.Throws<InvalidRequestException>(() => db.CreateCollection("x", Options() with { Distance = (DistanceMetric)42 }));
        Assert.Equal(["docs"], db.ListCollections());
    }

    [Fact]
    public void A_deleted_collection_object_reports_not_found()
    {
        using var db = VectorDatabase.InMemory();
        var docs = db.CreateCollection("docs", Options());
        db.DeleteCollection("docs");
        Assert.Throws<CollectionNotFoundException>(() => docs.Count());
        Assert.Throws<CollectionNotFoundException>(() => docs.Upsert(new Point(1, [1, 0, 0, 0])));
    }

    [Fact]
    public void Upsert_get_delete_and_count_round_trip_with_integer_and_uuid_ids()
    {
        using var db = VectorDatabase.InMemory();
        var docs = db.CreateCollection("docs", Options(3, DistanceMetric.Euclid));
        var uuid = Guid.Parse("5c56c793-69f3-4fbf-87e6-c4bf54c28c26");
        docs.Upsert(
        [
            new Point(1, [1, 2, 3], Payload.FromObject(new { city = "Berlin", tags = new[] { "a", "b" } })),
            new Point(uuid, [4, 5, 6]),
        ]);
        Assert.Equal(2, docs.Count());

        var one = docs.Get(1);
        Assert.NotNull(one);
        Assert.Equal([1f, 2f, 3f], one.Vector!);
        Assert.Equal("Berlin", one.Payload!.Root.GetProperty("city").GetString());
        Assert.Equal([4f, 5f, 6f], docs.Get(uuid)!.Vector!);
        Assert.Null(docs.Get(2));
        Assert.Equal(2, docs.Get([uuid, 99, 1]).Count);

        Assert.Equal(1, docs.Delete([1, 12345]));
        Assert.Null(docs.Get(1));
        Assert.Equal(1, docs.Count());
        Assert.DoesNotContain(docs.Search([1, 2, 3], 10), h => h.Id == 1);
    }

    [Fact]
    public void Upsert_of_an_existing_id_replaces_vector_and_payload()
    {
        using var db = VectorDatabase.InMemory();
        var docs = db.CreateCollection("docs", Options(2, DistanceMetric.Euclid));
        docs.Upsert(new Point(7, [0, 0], Payload.FromObject(new { v = 1 })));
        docs.Upsert(new Point(7, [10, 10], Payload.FromObject(new { v = 2 })));
        Assert.Equal(1, docs.Count());
        var hit = Assert.Single(docs.Search([10, 10], 5, new SearchOptions { WithPayload = true }));
        Assert.Equal(new PointId(7), hit.Id);
        Assert.Equal(0f, hit.Score);
        Assert.Equal(2, hit.Payload!.Root.GetProperty("v").GetInt32());
    }

    [Fact]
    public void A_batch_with_one_bad_point_changes_nothing()
    {
        using var db = VectorDatabase.InMemory();
        var docs = db.CreateCollection("docs", Options(3));
        docs.Upsert(new Point(1, [1, 0, 0]));
        Assert.Throws<DimensionMismatchException>(() => docs.Upsert([new Point(1, [0, 1, 0]), new Point(2, [1, 1])]));
        Assert.Throws<InvalidRequestException>(() => docs.Upsert([new Point(2, [0, 1, 0]), new Point(3, [float.NaN, 0, 1])]));
        Assert.Throws<InvalidRequestException>(() => docs.Upsert([new Point(2, [0, 1, 0]), new Point(3, [float.PositiveInfinity, 0, 1])]));
        Assert.Throws<InvalidRequestException>(() => docs.Upsert([new Point(2, [0, 1, 0]), new Point(3, [0, 0, 0])]));
        Assert.Equal(1, docs.Count());
        Assert.Equal([1f, 0f, 0f], docs.Get(1)!.Vector!);
        Assert.Null(docs.Get(2));
    }

    [Theory]
    [InlineData(float.NaN, "non-finite component (NaN) at index 37")]
    [InlineData(float.NegativeInfinity, "non-finite component (-Infinity) at index 37")]
    [InlineData(70_000f, "component (70000) at index 37 beyond what float16 stores")]
    public void A_bad_component_past_the_first_vector_register_is_named(float bad, string message)
    {
        using var db = VectorDatabase.InMemory();
        var docs = db.CreateCollection("docs", new CollectionOptions { Dimensions = 40, Distance = DistanceMetric.Euclid, DataType = VectorDataType.Float16 });
        var vector = Enumerable.Range(0, 40).Select(i => i / 40f).ToArray();
        vector[37] = bad;

        var refused = Assert.Throws<InvalidRequestException>(() => docs.Upsert(new Point(1, vector)));
        Assert.Contains(message, refused.Message, StringComparison.Ordinal);
        Assert.Contains(message, Assert.Throws<InvalidRequestException>(() => docs.Search(vector, 1)).Message, StringComparison.Ordinal);
        Assert.Equal(0, docs.Count());
    }

    [Fact]
    public void Within_a_batch_the_last_point_with_an_id_wins()
    {
        using var db = VectorDatabase.InMemory();
        var docs = db.CreateCollection("docs", Options(2, DistanceMetric.Dot));
        docs.Upsert([new Point(1, [1, 0]), new Point(1, [0, 1])]);
        Assert.Equal(1, docs.Count());
        Assert.Equal([0f, 1f], docs.Get(1)!.Vector!);
    }

    [Fact]
    public void Bad_queries_are_rejected()
    {
        using var db = VectorDatabase.InMemory();
        var docs = db.CreateCollection("docs", Options(2));
        docs.Upsert(new Point(1, [1, 0]));
        Assert.Throws<DimensionMismatchException>(() => docs.Search([1, 0, 0], 1));
        Assert.Throws<InvalidRequestException>(() => docs.Search([0, 0], 1));
        Assert.Throws<InvalidRequestException>(() => docs.Search([float.NaN, 0], 1));
        Assert.Throws<InvalidRequestException>(() => docs.Search([1, 0], 0));
        Assert.Throws<InvalidRequestException>(() => docs.Search([1, 0], 1, new SearchOptions { Ef = 0 }));
    }

    [Fact]
    public void Scores_follow_qdrant_conventions()
    {
        using var db = VectorDatabase.InMemory();
        float[] a = [3, 4];
        float[] b = [4, 3];
        float[] query = [3, 4];

        var cosine = db.CreateCollection("cos", Options(2, DistanceMetric.Cosine));
        cosine.Upsert([new Point(1, a), new Point(2, b)]);
        var hits = cosine.Search(query, 2);
        Assert.Equal([1UL, 2UL], hits.Select(h => h.Id.Number));
        Assert.Equal(1f, hits[0].Score, 1e-6f);
        Assert.Equal(24f / 25f, hits[1].Score, 1e-6f);
        Assert.Equal([0.6f, 0.8f], cosine.Get(1)!.Vector!, new FloatComparer(1e-6f)); // stored normalised, as Qdrant

        var dot = db.CreateCollection("dot", Options(2, DistanceMetric.Dot));
        dot.Upsert([new Point(1, a), new Point(2, [1, 1])]);
        Assert.Equal([25f, 7f], dot.Search(query, 2).Select(h => h.Score));

        var euclid = db.CreateCollection("l2", Options(2, DistanceMetric.Euclid));
        euclid.Upsert([new Point(1, [0, 0]), new Point(2, [6, 8])]);
        Assert.Equal([5f, 5f], euclid.Search(query, 2).Select(h => h.Score));
        Assert.Equal([0f, 10f], euclid.Search([0, 0], 2).Select(h => h.Score));

        var manhattan = db.CreateCollection("l1", Options(2, DistanceMetric.Manhattan));
        manhattan.Upsert([new Point(1, [0, 0]), new Point(2, [1, 1])]);
        Assert.Equal([0f, 2f], manhattan.Search([0, 0], 2).Select(h => h.Score));
    }

    [Fact]
    public void Exact_and_graph_search_agree_on_a_small_collection_and_return_requested_fields()
    {
        using var db = VectorDatabase.InMemory();
        var docs = db.CreateCollection("docs", Options(8, DistanceMetric.Euclid));
        var random = new Random(1);
        docs.Upsert(Enumerable.Range(0, 500).Select(i => new Point((ulong)i, [.. Enumerable.Range(0, 8).Select(_ => (float)random.NextDouble())], Payload.FromObject(new { i }))));
        float[] query = [.. Enumerable.Range(0, 8).Select(_ => (float)random.NextDouble())];
        var exact = docs.Search(query, 10, new SearchOptions { Exact = true, WithPayload = true, WithVector = true });
        var approximate = docs.Search(query, 10, new SearchOptions { Ef = 200 });
        Assert.Equal(exact.Select(h => $"{h.Id}:{h.Score}"), approximate.Select(h => $"{h.Id}:{h.Score}"));
        Assert.All(exact, h => Assert.Equal((int)h.Id.Number, h.Payload!.Root.GetProperty("i").GetInt32()));
        Assert.All(exact, h => Assert.Equal(8, h.Vector!.Length));
        Assert.All(approximate, h => Assert.Null(h.Payload));
    }

    /// <summary>
    /// With M = 2 this (seeded, sequential) build leaves a few regions whose links all lead back into them; a walk that
    /// enters layer 0 there finds fewer than k points. Such a search is answered by an exact scan, and says so.
    /// </summary>
    [Fact]
    public void A_search_whose_walk_strands_is_answered_by_an_exact_scan_and_explains_it()
    {
        using var db = VectorDatabase.InMemory();
        var docs = db.CreateCollection("docs", Options(16, DistanceMetric.Euclid) with { M = 2, EfConstruction = 16 });
        var random = new Random(33);
        var vectors = Enumerable.Range(0, 2_000).Select(_ => Enumerable.Range(0, 16).Select(_ => Gaussian(random)).ToArray()).ToList();
        foreach (var batch in vectors.Select((v, i) => new Point((ulong)i, v)).Chunk(50)) // below the parallel-insert threshold
        {
            docs.Upsert(batch);
        }

        int stranded = 0;
        foreach (var query in vectors)
        {
            var hits = docs.Search(query, 10, new SearchOptions { Ef = 20, Explain = true });
            Assert.Equal(10, hits.Count);
            if (hits.Explain!.FallbackFrom == SearchStrategy.Graph)
            {
                stranded++;
                Assert.Equal(SearchStrategy.Exact, hits.Explain.Strategy);
                Assert.Contains("exact scan answered", hits.Explain.Reason, StringComparison.Ordinal);
                var exact = docs.Search(query, 10, new SearchOptions { Exact = true });
                Assert.Equal(exact.Select(h => $"{h.Id}:{h.Score}"), hits.Select(h => $"{h.Id}:{h.Score}"));
            }
        }

        Assert.InRange(stranded, 1, 20);
    }

    private static float Gaussian(Random random) =>
        (float)((Math.Sqrt(-2 * Math.Log(1.0 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble())) + 0.1);

    [Fact]
    public void Payloads_must_be_json_objects()
    {
        Assert.Throws<InvalidRequestException>(() => Payload.Parse("[1,2]"));
        Assert.Throws<InvalidRequestException>(() => Payload.Parse("{nope"));
        Assert.Equal(Payload.Parse("""{"a":[1,{"b":null}]}"""), Payload.From(new Dictionary<string, object?> { ["a"] = new object?[] { 1, new Dictionary<string, object?> { ["b"] = null } } }));
    }

    [Fact]
    public void Point_ids_parse_print_and_compare()
    {
        Assert.True(PointId.TryParse("42", out var n));
        Assert.Equal(new PointId(42), n);
        Assert.True(PointId.TryParse("5C56C793-69F3-4FBF-87E6-C4BF54C28C26", out var u));
        Assert.Equal("5c56c793-69f3-4fbf-87e6-c4bf54c28c26", u.ToString());
        Assert.False(PointId.TryParse("-1", out _));
        Assert.NotEqual(new PointId(0), new PointId(Guid.Empty));
        Assert.True(new PointId(ulong.MaxValue) < new PointId(Guid.Empty));
    }

    private sealed class FloatComparer(float tolerance) : IEqualityComparer<float>
    {
        public bool Equals(float x, float y) => Math.Abs(x - y) <= tolerance;

        public int GetHashCode(float obj) => 0;
    }
}
