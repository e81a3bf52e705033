using VectorDb.Persistence;
using VectorDb.Query;
using VectorDb.Storage;

namespace VectorDb.Tests;

public sealed class TenantIndexTests : IDisposable
{
    private const int Dimensions = 16;
    private const int PerCluster = 1500;
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    /// <summary>
    /// Three clusters, each its own tenant; queries come from cluster 1 and ask for tenant 0, whose nearest points
    /// are the few at its border with cluster 1 — the case a filtered walk of the whole graph handles worst. A tenant
    /// index searches the value's own graph; a plain keyword index walks the links it keeps among the value's points.
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Values_own_graph_or_links_find_a_tenants_points_near_a_query_from_elsewhere_and_follow_writes(bool isTenant)
    {
        using var database = VectorDatabase.InMemory();
        var collection = database.CreateCollection("t", new CollectionOptions { Dimensions = Dimensions, Distance = DistanceMetric.Euclid });
        collection.CreatePayloadIndex("tenant", PayloadSchemaType.Keyword, isTenant: isTenant);
        var random = new Random(3);
        collection.Upsert(Enumerable.Range(0, 3 * PerCluster).Select(i => Clustered(random, i, i / PerCluster)));
        collection.WaitForPayloadLinks(); // a value reaching 1,000 points is linked in the background

        var queries = Enumerable.Range(0, 20).Select(_ => Clustered(random, 0, 1).Vector!).ToList();
        var tenant0 = new Filter(Must: [Conditions.Match("tenant", "c0")]);
        var strategy = isTenant ? SearchStrategy.TenantGraph : SearchStrategy.ValueLinks;
        AssertMatchesExact(collection, queries, tenant0, strategy, minRecall: 0.95);

        // Writes move points between the value graphs: a payload change, deletes, and new vectors for old ids.
        var moved = Enumerable.Range(0, 300).Select(i => new PointId((ulong)i)).ToList();
        collection.SetPayload(moved, Payload.FromObject(new { tenant = "c1" }));
        collection.Delete(Enumerable.Range(300, 300).Select(i => new PointId((ulong)i)).ToList());
        collection.Upsert(Enumerable.Range(600, 100).Select(i => Clustered(random, i, 0)));
        AssertMatchesExact(collection, queries, tenant0, strategy, minRecall: 0.95);
        AssertMatchesExact(collection, queries, new Filter(Must: [Conditions.Match("tenant", "c1")]), strategy, minRecall: 0.95);

        // The rest of a filter is checked inside the value's graph.
        var narrower = new Filter(Must: [Conditions.Match("tenant", "c0"), Conditions.Range("n", lt: 1000)]);
        AssertMatchesExact(collection, queries, narrower, strategy, minRecall: 0.9);

        // Excluding the queries' own value: a two-hop walk of the whole graph, whose matches also lead on through their values' links.
        var elsewhere = new Filter(MustNot: [Conditions.Match("tenant", "c1")]);
        var walked = AssertMatchesExact(collection, queries, elsewhere, SearchStrategy.TwoHopGraph, minRecall: 0.95);
        Assert.Equal(!isTenant, walked.Reason.Contains("links among its value's points", StringComparison.Ordinal));
        const string AlongBorders = "looked through to the nearest points of other values";
        Assert.Equal(!isTenant, walked.Reason.Contains(AlongBorders, StringComparison.Ordinal)); // and rejected points lead to their border

        // Excluding two values is still excluding by value. With another condition a point may be rejected for that
        // one, and is looked through along its graph links, which lead to points of any value.
        var twoValues = new Filter(MustNot: [Conditions.Match("tenant", "c1"), Conditions.Match("tenant", "c2")]);
        Assert.Equal(!isTenant, AssertMatchesExact(collection, queries, twoValues, SearchStrategy.TwoHopGraph, minRecall: 0.9).Reason.Contains(AlongBorders, StringComparison.Ordinal));
        var mixed = new Filter(Must: [Conditions.Range("n", lt: 4000)], MustNot: [Conditions.Match("tenant", "c1")]);
        Assert.DoesNotContain(AlongBorders, AssertMatchesExact(collection, queries, mixed, SearchStrategy.TwoHopGraph, minRecall: 0.9).Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Value_graphs_and_links_are_back_after_checkpoints_and_log_replay(bool isTenant)
    {
        var random = new Random(4);
        var points = Enumerable.Range(0, 2 * PerCluster).Select(i => Clustered(random, i, i / PerCluster)).ToList();
        var query = Clustered(random, 0, 1).Vector;
        var filter = new Filter(Must: [Conditions.Match("tenant", "c0")]);
        using (var database = VectorDatabase.Open(_directory.Path, new StorageOptions { CheckpointOnDispose = false }))
        {
            var collection = database.CreateCollection("t", new CollectionOptions { Dimensions = Dimensions, Distance = DistanceMetric.Euclid });
            collection.CreatePayloadIndex("tenant", PayloadSchemaType.Keyword, isTenant: isTenant);
            collection.Upsert(points);
        }

        var strategy = isTenant ? SearchStrategy.TenantGraph : SearchStrategy.ValueLinks;
        foreach (bool checkpoint in new[] { false, true })
        {
            // First from the log alone, then from the checkpoint the first reopen wrote on close.
            using var database = VectorDatabase.Open(_directory.Path);
            var collection = database.GetCollection("t");
            Assert.Equal(isTenant, collection.PayloadIndexes.Single().IsTenant);
            collection.WaitForPayloadLinks(); // after a checkpoint, the links are made in the background
            var hits = collection.Search(query, 10, new SearchOptions { Filter = filter, Explain = true, Ef = 64, Strategy = strategy });
            Assert.Equal(strategy, hits.Explain!.Strategy);
            Assert.Null(hits.Explain.FallbackFrom);
            Assert.Equal(10, hits.Count);
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Value_graphs_and_links_saved_by_a_checkpoint_serve_at_once_after_reopening_and_take_in_the_writes_replayed_after_it(bool isTenant)
    {
        var strategy = isTenant ? SearchStrategy.TenantGraph : SearchStrategy.ValueLinks;
        var random = new Random(6);
        var points = Enumerable.Range(0, 2 * PerCluster).Select(i => Clustered(random, i, i / PerCluster)).ToList();
        var queries = Enumerable.Range(0, 20).Select(_ => Clustered(random, 0, 1).Vector!).ToList();
        var tenant0 = new Filter(Must: [Conditions.Match("tenant", "c0")]);
        long borderWalks;
        using (var database = VectorDatabase.Open(_directory.Path))
        {
            var collection = database.CreateCollection("t", new CollectionOptions { Dimensions = Dimensions, Distance = DistanceMetric.Euclid });
            collection.CreatePayloadIndex("tenant", PayloadSchemaType.Keyword, isTenant: isTenant);
            collection.Upsert(points);
            collection.WaitForPayloadLinks(); // what was built while the database runs is saved by the checkpoint it writes on closing
            borderWalks = BorderWalkWork(collection, queries);
        }

        // After the checkpoint: points of tenant 0 right at the queries, among tenant 1's, reachable only through its graph or links.
        var islands = queries.Select((query, i) => new Point((ulong)(10_000 + i), query, Payload.FromObject(new { tenant = "c0", n = i }))).ToList();
        using (var database = VectorDatabase.Open(_directory.Path, new StorageOptions { CheckpointOnDispose = false }))
        {
            var collection = database.GetCollection("t");
            // Not waited for: a strategy that is not ready is refused, so these searches need what was saved restored.
            AssertMatchesExact(collection, queries, tenant0, strategy, minRecall: 0.95);
            Assert.Equal(borderWalks, BorderWalkWork(collection, queries)); // the same border links, or no border walk at all
            collection.Upsert(islands);
        }

        using (var database = VectorDatabase.Open(_directory.Path))
        {
            // The checkpoint's graphs or links, and the islands added to them as the log replayed their upserts.
            var collection = database.GetCollection("t");
            AssertMatchesExact(collection, queries, tenant0, strategy, minRecall: 0.95);
            for (int i = 0; i < queries.Count; i++)
            {
                var hits = collection.Search(queries[i], 1, new SearchOptions { Filter = tenant0, Strategy = strategy });
                Assert.Equal(islands[i].Id, hits.Single().Id);
            }
        }
    }

    [Fact]
    public void Damaged_saved_value_links_are_made_again()
    {
        var queries = SaveLinkedClusters(new Random(7));
        string links = Directory.GetFiles(Path.Combine(_directory.Path, "checkpoints"), "*.links", SearchOption.AllDirectories).OrderDescending(StringComparer.Ordinal).First();
        using (var file = new FileStream(links, FileMode.Open, FileAccess.ReadWrite))
        {
            file.Position = file.Length / 2;
            int flipped = file.ReadByte() ^ 0xFF;
            file.Position--;
            file.WriteByte((byte)flipped);
        }

        AssertLinksMadeAgain(queries, SearchStrategy.ValueLinks);
    }

    [Fact]
    public void Saved_links_of_another_kind_of_index_are_reported_and_made_again()
    {
        var queries = SaveLinkedClusters(new Random(9));

        // The checkpoint now says the index keeps a graph per value, while its file holds value links: intact, but unfit.
        var checkpoints = new CheckpointDirectory(Path.Combine(_directory.Path, "checkpoints"));
        var manifest = checkpoints.ReadManifest(checkpoints.Sequences()[0]);
        var entry = manifest.Collections.Single();
        checkpoints.WriteManifest(manifest with
        {
            Collections = [entry with { PayloadIndexes = [.. entry.PayloadIndexes!.Select(index => index with { IsTenant = true })] }],
        });

        AssertLinksMadeAgain(queries, SearchStrategy.TenantGraph);
    }

    [Fact]
    public void Value_links_can_be_turned_off_and_stay_off_after_log_replay()
    {
        var random = new Random(8);
        var points = Enumerable.Range(0, 2 * PerCluster).Select(i => Clustered(random, i, i / PerCluster)).ToList();
        var query = Clustered(random, 0, 1).Vector;
        var filter = new Filter(Must: [Conditions.Match("tenant", "c0")]);
        using (var database = VectorDatabase.Open(_directory.Path, new StorageOptions { CheckpointOnDispose = false }))
        {
            var collection = database.CreateCollection("t", new CollectionOptions { Dimensions = Dimensions, Distance = DistanceMetric.Euclid, PayloadLinks = false });
            collection.CreatePayloadIndex("tenant", PayloadSchemaType.Keyword);
            collection.Upsert(points);
            AssertUnlinked(collection);
        }

        using var reopened = VectorDatabase.Open(_directory.Path);
        Assert.False(reopened.GetCollection("t").Options.PayloadLinks);
        AssertUnlinked(reopened.GetCollection("t"));

        void AssertUnlinked(Collection collection)
        {
            var hits = collection.Search(query, 10, new SearchOptions { Filter = filter, Explain = true });
            Assert.Equal(10, hits.Count);
            Assert.DoesNotContain(SearchStrategy.ValueLinks, hits.Explain!.EstimatedCostMicroseconds.Keys);
            Assert.Throws<InvalidRequestException>(() => collection.Search(query, 10, new SearchOptions { Filter = filter, Strategy = SearchStrategy.ValueLinks }));
        }
    }

    /// <summary>An index created over existing points links their values in the background; dropping it meanwhile
    /// stops that work, and a new index links again.</summary>
    [Fact]
    public void Value_links_made_in_the_background_stop_when_their_index_is_dropped()
    {
        using var database = VectorDatabase.InMemory();
        var collection = database.CreateCollection("t", new CollectionOptions { Dimensions = Dimensions, Distance = DistanceMetric.Euclid });
        var random = new Random(9);
        collection.Upsert(Enumerable.Range(0, 3 * PerCluster).Select(i => Clustered(random, i, i / PerCluster)));
        var filter = new Filter(Must: [Conditions.Match("tenant", "c0")]);
        var query = Clustered(random, 0, 1).Vector;

        for (int round = 0; round < 3; round++)
        {
            Assert.True(collection.CreatePayloadIndex("tenant", PayloadSchemaType.Keyword));
            Assert.True(collection.DeletePayloadIndex("tenant"));
        }

        Assert.True(collection.CreatePayloadIndex("tenant", PayloadSchemaType.Keyword));
        collection.WaitForPayloadLinks();
        var hits = collection.Search(query, 10, new SearchOptions { Filter = filter, Explain = true, Ef = 64, Strategy = SearchStrategy.ValueLinks });
        Assert.Equal(SearchStrategy.ValueLinks, hits.Explain!.Strategy);
        Assert.Null(hits.Explain.FallbackFrom);
        Assert.Equal(10, hits.Count);
    }

    /// <summary>The planner prices the value's graph or links like the collection's graph: a narrow beam over long
    /// vectors beats scanning the value's 1,200 points; a value below the minimum has neither to offer.</summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Planner_searches_a_values_graph_or_links_when_a_walk_beats_a_scan_of_the_value(bool isTenant)
    {
        using var database = VectorDatabase.InMemory();
        const int Dims = 256;
        var collection = database.CreateCollection("t", new CollectionOptions { Dimensions = Dims, Distance = DistanceMetric.Cosine });
        collection.CreatePayloadIndex("tenant", PayloadSchemaType.Keyword, isTenant: isTenant);
        var random = new Random(6);
        collection.Upsert(Enumerable.Range(0, 2000).Select(i => new Point(
            (ulong)i, [.. Enumerable.Range(0, Dims).Select(_ => random.NextSingle())], Payload.FromObject(new { tenant = i < 1200 ? "big" : "small" }))));
        collection.WaitForPayloadLinks();
        float[] query = [.. Enumerable.Range(0, Dims).Select(_ => random.NextSingle())];

        var big = collection.Search(query, 10, new SearchOptions { Filter = new Filter(Must: [Conditions.Match("tenant", "big")]), Explain = true, Ef = 16 });
        var small = collection.Search(query, 10, new SearchOptions { Filter = new Filter(Must: [Conditions.Match("tenant", "small")]), Explain = true, Ef = 16 });

        var strategy = isTenant ? SearchStrategy.TenantGraph : SearchStrategy.ValueLinks;
        Assert.Equal(strategy, big.Explain!.Strategy);
        Assert.Contains(isTenant ? "graph of its own" : "linked among themselves", big.Explain.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain(strategy, small.Explain!.EstimatedCostMicroseconds.Keys);
        Assert.DoesNotContain(isTenant ? SearchStrategy.ValueLinks : SearchStrategy.TenantGraph, big.Explain.EstimatedCostMicroseconds.Keys);
        Assert.Throws<InvalidRequestException>(() => collection.Search(query, 10, new SearchOptions
        {
            Filter = new Filter(Must: [Conditions.Match("tenant", "small")]), Strategy = strategy,
        }));
    }

    [Fact]
    public void Only_keyword_and_uuid_indexes_can_be_tenant_indexes()
    {
        using var database = VectorDatabase.InMemory();
        var collection = database.CreateCollection("t", new CollectionOptions { Dimensions = 2, Distance = DistanceMetric.Euclid });
        Assert.Throws<InvalidRequestException>(() => collection.CreatePayloadIndex("n", PayloadSchemaType.Integer, isTenant: true));
        Assert.True(collection.CreatePayloadIndex("k", PayloadSchemaType.Keyword));
        Assert.True(collection.CreatePayloadIndex("k", PayloadSchemaType.Keyword, isTenant: true)); // replaces the plain one
        Assert.False(collection.CreatePayloadIndex("k", PayloadSchemaType.Keyword, isTenant: true));
        Assert.True(collection.PayloadIndexes.Single().IsTenant);
    }

    /// <summary>Two clusters, each its own tenant, their value links saved by the checkpoint written on closing; returns queries from cluster 1.</summary>
    private List<float[]> SaveLinkedClusters(Random random)
    {
        var queries = Enumerable.Range(0, 10).Select(_ => Clustered(random, 0, 1).Vector!).ToList();
        using var database = VectorDatabase.Open(_directory.Path);
        var collection = database.CreateCollection("t", new CollectionOptions { Dimensions = Dimensions, Distance = DistanceMetric.Euclid });
        collection.CreatePayloadIndex("tenant", PayloadSchemaType.Keyword);
        collection.Upsert(Enumerable.Range(0, 2 * PerCluster).Select(i => Clustered(random, i, i / PerCluster)));
        collection.WaitForPayloadLinks();
        return queries;
    }

    /// <summary>Opens the database whose saved links cannot be used: the log says so, and what is made again serves <paramref name="strategy"/>.</summary>
    private void AssertLinksMadeAgain(List<float[]> queries, SearchStrategy strategy)
    {
        var logger = new ListLogger();
        using var database = VectorDatabase.Open(_directory.Path, null, logger);
        Assert.Contains(logger.Messages, m => m.Contains("made again", StringComparison.Ordinal));
        var collection = database.GetCollection("t");
        Assert.Equal(2 * PerCluster, collection.Count());
        collection.WaitForPayloadLinks();
        AssertMatchesExact(collection, queries, new Filter(Must: [Conditions.Match("tenant", "c0")]), strategy, minRecall: 0.95);
    }

    /// <summary>
    /// The distances two-hop walks excluding tenant c1 compute from queries in its cluster: they look through c1's points
    /// along its border links, so the same links give the same count and others (or none) another.
    /// </summary>
    private static long BorderWalkWork(Collection collection, List<float[]> queries) =>
        queries.Sum(query => (long)collection.Search(
            query, 10, new SearchOptions { Filter = new Filter(MustNot: [Conditions.Match("tenant", "c1")]), Explain = true, Ef = 32, Strategy = SearchStrategy.TwoHopGraph })
            .Explain!.DistanceComputations);

    /// <summary>A point of cluster <paramref name="cluster"/> (uniform in a unit cube, cubes 1.5 apart on the first axis), of tenant "c{cluster}".</summary>
    private static Point Clustered(Random random, int id, int cluster)
    {
        var vector = Enumerable.Range(0, Dimensions).Select(_ => random.NextSingle()).ToArray();
        vector[0] += 1.5f * cluster;
        return new Point((ulong)id, vector, Payload.FromObject(new { tenant = $"c{cluster}", n = id }));
    }

    /// <returns>The last query's explanation.</returns>
    private static SearchExplain AssertMatchesExact(Collection collection, List<float[]> queries, Filter filter, SearchStrategy strategy, double minRecall)
    {
        double recall = 0;
        SearchExplain? explain = null;
        foreach (var query in queries)
        {
            var exact = collection.Search(query, 10, new SearchOptions { Filter = filter, Exact = true });
            var hits = collection.Search(query, 10, new SearchOptions { Filter = filter, Explain = true, Ef = 64, WithPayload = true, Strategy = strategy });
            explain = hits.Explain!;
            Assert.Equal(strategy, explain.Strategy);
            Assert.Null(explain.FallbackFrom);
            Assert.Equal(exact.Count, hits.Count);
            Assert.Equal(hits.Count, hits.Select(h => h.Id).Distinct().Count());
            Assert.All(hits, h => Assert.True(filter.Matches(h.Id, h.Payload)));
            recall += hits.Select(h => h.Id).Intersect(exact.Select(h => h.Id)).Count() / (double)exact.Count;
        }

        Assert.InRange(recall / queries.Count, minRecall, 1);
        return explain!;
    }
}
