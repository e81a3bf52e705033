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
        database.CreateCollection("f", new CollectionOptions { Dimensions = Dimensions, Distance = DistanceMetric.Euclid })
            .Upsert(vectors.Select((v, i) => new Point((ulong)i, v, Payload.FromObject(new { label = i % 10, n = i }))));
        return (database, vectors);
    });

    public static TheoryData<string, bool> Filters => new()
    {
        { """{"must": [{"key": "label", "match": {"value": 3}}]}""", false },            // 10 %, graph
        { """{"must": [{"key": "n", "range": {"lt": 40}}]}""", false },                    // 40 points, exact
        { """{"must": [{"key": "label", "match": {"any": [1, 2]}}], "must_not": [{"key": "n", "range": {"lt": 3000}}]}""", false },
        { """{"should": [{"key": "label", "match": {"value": 9}}, {"key": "n", "range": {"gte": 5990}}]}""", true },
        { """{"must": [{"key": "n", "range": {"gte": 5995}}]}""", false },                 // fewer than k
    };

    [Theory]
    [MemberData(nameof(Filters))]
    public void Filtered_search_returns_the_filtered_top_k(string filterJson, bool exact)
    {
        var (database, vectors) = Data.Value;
        var collection = database.GetCollection("f");
        var filter = ToFilter(filterJson);
        var random = new Random(filterJson.Length);
        double recall = 0;
        const int queries = 30;
        for (int q = 0; q < queries; q++)
        {
            var query = Enumerable.Range(0, Dimensions).Select(_ => random.NextSingle()).ToArray();
            var matching = Enumerable.Range(0, Count).Where(i => filter.Matches((ulong)i, Payload.FromObject(new { label = i % 10, n = i }))).ToList();
            var truth = matching.OrderBy(i => Distance(query, vectors[i])).Take(10).Select(i => (ulong)i).ToHashSet();

            var hits = collection.Search(query, 10, new SearchOptions { Filter = filter, Exact = exact, Ef = 64, WithPayload = true });

            Assert.Equal(Math.Min(10, matching.Count), hits.Count);
            Assert.All(hits, h => Assert.True(filter.Matches(h.Id, h.Payload)));
            recall += hits.Count(h => truth.Contains(h.Id.Number)) / (double)truth.Count;
        }

        Assert.True(recall / queries >= 0.95, $"recall {recall / queries:F3}");
        Assert.Equal(Enumerable.Range(0, Count).Count(i => filter.Matches((ulong)i, Payload.FromObject(new { label = i % 10, n = i }))), collection.Count(filter));
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
