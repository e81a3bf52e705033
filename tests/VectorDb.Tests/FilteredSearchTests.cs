using System.Text.Json;
using VectorDb.Query;

namespace VectorDb.Tests;

public sealed class FilteredSearchTests
{
    private const int Count = 6000;
    private const int Dimensions = 24;

    private static readonly Lazy<(VectorDatabase Database, float[][] Vectors)> Data = new(() =>
    {
        var random = new Random(5);
        var vectors = Enumerable.Range(0, Count).Select(_ => Enumerable.Range(0, Dimensions).Select(_ => random.NextSingle()).ToArray()).ToArray();
        var database = VectorDatabase.InMemory();
        var points = vectors.Select((v, i) => new Point((ulong)i, v, Payload.FromObject(new { label = i % 10, n = i }))).ToList();
        database.CreateCollection("f", new CollectionOptions { Dimensions = Dimensions, Distance = DistanceMetric.Euclid }).Upsert(points);
        var indexed = database.CreateCollection("indexed", new CollectionOptions { Dimensions = Dimensions, Distance = DistanceMetric.Euclid });
        indexed.CreatePayloadIndex("label", PayloadSchemaType.Integer);
        indexed.Upsert(points); // indexed while inserting
        indexed.CreatePayloadIndex("n", PayloadSchemaType.Integer); // indexed from existing points
        return (database, vectors);
    });

    private static readonly string[] FilterCases =
    [
        """{"must": [{"key": "label", "match": {"value": 3}}]}""",            // 10 %
        """{"must": [{"key": "n", "range": {"lt": 40}}]}""",                    // 40 points
        """{"must": [{"key": "label", "match": {"any": [1, 2]}}], "must_not": [{"key": "n", "range": {"lt": 3000}}]}""",
        """{"should": [{"key": "label", "match": {"value": 9}}, {"key": "n", "range": {"gte": 5990}}]}""",
        """{"must": [{"key": "n", "range": {"gte": 5995}}]}""",                 // fewer than k
        """{"must_not": [{"key": "label", "match": {"value": 4}}]}""",         // 90 %
        """{"must": [{"key": "n", "range": {"gte": 0}}]}""",                   // everything
    ];

    private static readonly (string Collection, bool Exact, SearchStrategy? Strategy)[] Modes =
    [
        ("f", false, null),
        ("f", true, null),
        ("indexed", false, null),
        ("indexed", false, SearchStrategy.ExactScan),
        ("indexed", false, SearchStrategy.FilteredGraph),
        ("indexed", false, SearchStrategy.TwoHopGraph),
        ("indexed", false, SearchStrategy.PostFilter),
        ("f", false, SearchStrategy.TwoHopGraph),
    ];

    public static TheoryData<int, int> Cases()
    {
        var data = new TheoryData<int, int>();
        for (int f = 0; f < FilterCases.Length; f++)
        {
            for (int m = 0; m < Modes.Length; m++)
            {
                data.Add(f, m);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Filtered_search_returns_the_filtered_top_k_whatever_the_strategy(int filterCase, int mode)
    {
        var (database, vectors) = Data.Value;
        string filterJson = FilterCases[filterCase];
        var (name, exact, strategy) = Modes[mode];
        var collection = database.GetCollection(name);
        var filter = ToFilter(filterJson);
        var random = new Random(filterJson.Length);
        double recall = 0;
        const int queries = 30;
        for (int q = 0; q < queries; q++)
        {
            var query = Enumerable.Range(0, Dimensions).Select(_ => random.NextSingle()).ToArray();
            var matching = Enumerable.Range(0, Count).Where(i => filter.Matches((ulong)i, Payload.FromObject(new { label = i % 10, n = i }))).ToList();
            var truth = matching.OrderBy(i => Distance(query, vectors[i])).Take(10).Select(i => (ulong)i).ToHashSet();

            var hits = collection.Search(query, 10, new SearchOptions { Filter = filter, Exact = exact, Ef = 64, WithPayload = true, Strategy = strategy, Explain = true });

            Assert.Equal(Math.Min(10, matching.Count), hits.Count);
            Assert.All(hits, h => Assert.True(filter.Matches(h.Id, h.Payload)));
            if (exact || hits.Explain!.Strategy == SearchStrategy.ExactScan)
            {
                Assert.Equal(truth, hits.Select(h => h.Id.Number).ToHashSet());
            }

            recall += hits.Count(h => truth.Contains(h.Id.Number)) / (double)truth.Count;
        }

        Assert.True(recall / queries >= 0.95, $"recall {recall / queries:F3}");
        Assert.Equal(Enumerable.Range(0, Count).Count(i => filter.Matches((ulong)i, Payload.FromObject(new { label = i % 10, n = i }))), collection.Count(filter));
    }

    [Theory]
    [InlineData("indexed", """{"must": [{"key": "n", "range": {"lt": 20}}]}""", SearchStrategy.ExactScan)]
    [InlineData("indexed", """{"must": [{"key": "label", "match": {"value": 3}}, {"key": "n", "range": {"lt": 3000}}]}""", SearchStrategy.ExactScan)]
    [InlineData("indexed", """{"must": [{"key": "label", "match": {"any": [1, 2]}}]}""", SearchStrategy.FilteredGraph)] // 24-d distances cost little more than two-hop's extra checks
    [InlineData("f", """{"must": [{"key": "label", "match": {"any": [1, 2]}}]}""", SearchStrategy.FilteredGraph)] // payload checks are dear
    [InlineData("indexed", """{"must": [{"key": "n", "range": {"gte": 10}}]}""", SearchStrategy.PostFilter)]
    public void Planner_picks_the_strategy_the_selectivity_calls_for(string collection, string filterJson, SearchStrategy expected)
    {
        var (database, _) = Data.Value;
        var options = new SearchOptions { Filter = ToFilter(filterJson), Explain = true, Ef = 16 };
        var hits = database.GetCollection(collection).Search(new float[Dimensions], 10, options);

        var explain = hits.Explain!;
        Assert.Equal(expected, explain.Strategy);
        Assert.Null(explain.FallbackFrom);
        Assert.NotNull(explain.Estimate);
        Assert.True(explain.DistanceComputations > 0);
        Assert.Contains(expected, explain.EstimatedCostMicroseconds.Keys);
    }

    /// <summary>
    /// Two filters each matching half or more of the points: one spread evenly (plain traversal pays), one matching
    /// only the cluster away from the query (two-hop pays). Only the matches around the query tell them apart. A filter
    /// excluding values of a keyword index, whose points are linked to their border, is walked two hops either way.
    /// </summary>
    [Theory]
    [InlineData("""{"must_not": [{"key": "quarter", "match": {"value": 0}}]}""", SearchStrategy.FilteredGraph, "neighborhood")]
    [InlineData("""{"must": [{"key": "side", "match": {"value": 1}}]}""", SearchStrategy.TwoHopGraph, "neighborhood")]
    [InlineData("""{"must_not": [{"key": "tag", "match": {"value": "q0"}}]}""", SearchStrategy.TwoHopGraph, "nearest points of other values")]
    public void Planner_tells_matches_around_the_query_from_matches_away_from_it(string filterJson, SearchStrategy expected, string reason)
    {
        using var database = VectorDatabase.InMemory();
        // Large enough that scanning half of it costs more than a walk (a graph step costs ~60 ns beyond its distance).
        const int Points = 8000, Dims = 32;
        var collection = database.CreateCollection("clusters", new CollectionOptions { Dimensions = Dims, Distance = DistanceMetric.Euclid });
        collection.CreatePayloadIndex("side", PayloadSchemaType.Integer);
        collection.CreatePayloadIndex("quarter", PayloadSchemaType.Integer);
        collection.CreatePayloadIndex("tag", PayloadSchemaType.Keyword); // the quarter again, as a keyword: its values' points are linked
        var random = new Random(11);
        collection.Upsert(Enumerable.Range(0, Points).Select(i =>
        {
            int side = i % 2;
            float[] vector = [.. Enumerable.Range(0, Dims).Select(_ => (side * 10) + random.NextSingle())];
            return new Point((ulong)i, vector, Payload.FromObject(new { side, quarter = (i / 2) % 4, tag = $"q{(i / 2) % 4}" }));
        }));
        collection.WaitForPayloadLinks();
        var filter = ToFilter(filterJson);

        var hits = collection.Search(Enumerable.Repeat(0.5f, Dims).ToArray(), 10, new SearchOptions { Filter = filter, Explain = true, Ef = 32, WithPayload = true });

        Assert.Equal(expected, hits.Explain!.Strategy);
        Assert.Contains(reason, hits.Explain.Reason, StringComparison.Ordinal);
        Assert.Equal(10, hits.Count);
        Assert.All(hits, h => Assert.True(filter.Matches(h.Id, h.Payload)));
    }

    [Fact]
    public void Single_indexed_condition_is_estimated_exactly_and_unindexed_by_sampling()
    {
        var (database, _) = Data.Value;
        var filter = ToFilter("""{"must": [{"key": "label", "match": {"value": 3}}]}""");
        var options = new SearchOptions { Filter = filter, Explain = true };

        var indexed = database.GetCollection("indexed").Search(new float[Dimensions], 10, options).Explain!;
        var sampled = database.GetCollection("f").Search(new float[Dimensions], 10, options).Explain!;

        Assert.Equal(Cardinality.Exactly(600), indexed.Estimate);
        Assert.InRange(sampled.Estimate!.Value.Expected, 450, 750);
        Assert.InRange(600, sampled.Estimate.Value.Min, sampled.Estimate.Value.Max);
    }

    [Fact]
    public void Delete_and_scroll_by_filter()
    {
        using var database = VectorDatabase.InMemory();
        var collection = database.CreateCollection("d", new CollectionOptions { Dimensions = 2, Distance = DistanceMetric.Euclid });
        collection.Upsert(Enumerable.Range(0, 50).Select(i => new Point((ulong)i, [i, 1], Payload.FromObject(new { even = i % 2 == 0 }))));
        var even = ToFilter("""{"must": [{"key": "even", "match": {"value": true}}]}""");

        var page = collection.Scroll(null, 3, filter: even);
        Assert.Equal([0UL, 2UL, 4UL], page.Points.Select(p => p.Id.Number));
        Assert.Equal(new PointId(6), page.NextOffset);

        Assert.Equal(25, collection.Delete(even));
        Assert.Equal(25, collection.Count());
        Assert.Equal(0, collection.Count(even));
    }

    private static Filter ToFilter(string json)
    {
        var root = JsonDocument.Parse(json).RootElement;
        return new Filter(Conditions(root, "must"), Conditions(root, "should"), Conditions(root, "must_not"));
    }

    private static List<Condition>? Conditions(JsonElement root, string name) =>
        root.TryGetProperty(name, out var list) ? [.. list.EnumerateArray().Select(Condition)] : null;

    private static Condition Condition(JsonElement c)
    {
        string key = c.GetProperty("key").GetString()!;
        if (c.TryGetProperty("range", out var range))
        {
            double? Bound(string n) => range.TryGetProperty(n, out var b) ? b.GetDouble() : null;
            return new RangeCondition(key, Bound("gt"), Bound("gte"), Bound("lt"), Bound("lte"));
        }

        var match = c.GetProperty("match");
        return match.TryGetProperty("value", out var value)
            ? new MatchValueCondition(key, value.Clone())
            : new MatchAnyCondition(key, [.. match.GetProperty("any").EnumerateArray().Select(v => v.Clone())]);
    }

    private static double Distance(float[] a, float[] b) => a.Zip(b, (x, y) => (double)(x - y) * (x - y)).Sum();
}
