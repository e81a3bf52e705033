using System.Text.Json;
using VectorDb.Hnsw;
using VectorDb.Query.PayloadIndexing;
using VectorDb.Query.Reach;

namespace VectorDb.Query.Tests;

public sealed class PayloadIndexSetTests
{
    private const int Points = IValueReach.MinPoints + 200;

    [Fact]
    public void A_payload_update_reindexes_only_the_keys_whose_values_changed()
    {
        using var graph = new HnswIndex(4, DistanceMetric.Euclid);
        using var indexes = new PayloadIndexSet(graph);
        indexes.Create("tenant", PayloadSchemaType.Keyword, [], isTenant: true);
        indexes.Create("n", PayloadSchemaType.Integer, []);
        var random = new Random(5);
        var payloads = new Payload[Points];
        for (int node = 0; node < Points; node++)
        {
            graph.Add([.. Enumerable.Range(0, 4).Select(_ => random.NextSingle())]);
            payloads[node] = Payload.FromObject(new { tenant = "a", n = 1 });
            indexes.Add(node, payloads[node]);
        }

        indexes.WaitForLinks(); // a value reaching 1,000 points gets its graph in the background
        var tenantA = TenantGraph(indexes, "a");
        int allocated = tenantA.AllocatedCount;
        Assert.Equal(Points, tenantA.Count);

        // Another key changes on every point: the value graph is left alone, the integer index follows.
        for (int node = 0; node < Points; node++)
        {
            var next = payloads[node].With(Payload.FromObject(new { n = 2 }));
            indexes.Update(node, payloads[node], next);
            payloads[node] = next;
        }

        Assert.Equal(allocated, tenantA.AllocatedCount);
        Assert.Equal(Points, tenantA.Count);
        Assert.Equal(Points, Count(indexes, "n", new RangeCondition("n", Gte: 2)));
        Assert.Equal(0, Count(indexes, "n", new RangeCondition("n", Lt: 2)));

        // The tenant value changes on one point: it leaves the value's graph and postings.
        var moved = payloads[0].With(Payload.FromObject(new { tenant = "b" }));
        indexes.Update(0, payloads[0], moved);
        Assert.Equal(Points - 1, tenantA.Count);
        Assert.Equal(Points - 1, Count(indexes, "tenant", Match("tenant", "a")));
        Assert.Equal(1, Count(indexes, "tenant", Match("tenant", "b")));

        // A key removed altogether is removed from its index.
        indexes.Update(1, payloads[1], payloads[1].Without(["n"]));
        Assert.Equal(Points - 1, Count(indexes, "n", new RangeCondition("n", Gte: 2)));
    }

    private static MatchValueCondition Match(string key, string value) =>
        new(key, JsonDocument.Parse(JsonSerializer.Serialize(value)).RootElement.Clone());

    private static int Count(PayloadIndexSet indexes, string key, Condition condition) =>
        indexes.Find(key)!.TryCompile(condition)!.Count;

    private static HnswIndex TenantGraph(PayloadIndexSet indexes, string value) =>
        indexes.Find("tenant")!.TryCompile(Match("tenant", value))!.Reach.Tenant!.Graph;

    [Fact]
    public void A_keyword_index_answers_a_prefix_from_its_values()
    {
        using var indexes = new PayloadIndexSet(graph: null);
        indexes.Create("city", PayloadSchemaType.Keyword, []);
        string[] cities = ["Berlin", "Bern", "bergen", "Paris", "Be"];
        for (int node = 0; node < cities.Length; node++)
        {
            indexes.Add(node, Payload.FromObject(new { city = cities[node] }));
        }

        var predicate = indexes.Find("city")!.TryCompile(new MatchPrefixCondition("city", "Ber"))!;
        Assert.Equal(2, predicate.Count);
        Assert.Equal([true, true, false, false, false], Enumerable.Range(0, cities.Length).Select(predicate.Matches));
    }

    [Fact]
    public void A_text_index_answers_full_text_any_token_and_phrase_matches()
    {
        using var indexes = new PayloadIndexSet(graph: null);
        var options = new TextIndexOptions { PhraseMatching = true, StopWords = ["the", "a"], EnglishStemmer = true };
        indexes.Create("text", PayloadSchemaType.Text, [], text: options);
        string[] texts = ["The quick brown fox", "A brown dog jumps", "Quick thinking", "foxes and dogs", "nothing here"];
        for (int node = 0; node < texts.Length; node++)
        {
            indexes.Add(node, Payload.FromObject(new { text = texts[node] }));
        }

        indexes.Add(texts.Length, Payload.FromObject(new { text = new[] { "brown", "quick fox" } })); // a phrase lies within one value

        var index = indexes.Find("text")!;
        List<int> Matching(Condition condition)
        {
            var predicate = index.TryCompile(condition)!;
            var matches = Enumerable.Range(0, texts.Length + 1).Where(predicate.Matches).ToList();
            Assert.Equal(matches.Count, predicate.Count);
            return matches;
        }

        Assert.Equal([0, 5], Matching(new MatchTextCondition("text", "QUICK fox")));
        Assert.Equal([0, 3, 5], Matching(new MatchTextCondition("text", "the fox"))); // "the" is a stop word; "foxes" stems to "fox"
        Assert.Equal([0, 1, 2, 5], Matching(new MatchTextAnyCondition("text", "brown quickly")));
        Assert.Equal([0], Matching(new MatchPhraseCondition("text", "quick brown")));
        Assert.Equal([5], Matching(new MatchPhraseCondition("text", "quick fox")));
        Assert.Empty(Matching(new MatchTextCondition("text", "the a")));
        Assert.Equal(6, index.Points);

        indexes.Remove(0);
        Assert.Equal([5], Matching(new MatchTextCondition("text", "quick fox")));

        indexes.Create("plain", PayloadSchemaType.Text, []);
        Assert.Throws<InvalidRequestException>(() => indexes.Find("plain")!.TryCompile(new MatchPhraseCondition("plain", "a b")));
        Assert.False(indexes.Create("text", PayloadSchemaType.Text, [], text: options with { StopWords = ["a", "the"] }));
        Assert.True(indexes.Create("text", PayloadSchemaType.Text, [], text: options with { EnglishStemmer = false }));
    }

    [Fact]
    public void Geo_regions_from_the_index_agree_with_the_payload()
    {
        var places = new (string Name, double Lon, double Lat)[]
        {
            ("Berlin", 13.405, 52.52), ("Potsdam", 13.0645, 52.3906), ("Moscow", 37.6173, 55.7558), ("Fiji", 179.9, -17.0), ("Samoa", -179.9, -13.8), ("Paris", 2.3522, 48.8566),
        };
        using var indexes = new PayloadIndexSet(graph: null);
        indexes.Create("at", PayloadSchemaType.Geo, []);
        var payloads = places.Select(p => Payload.FromObject(new { at = new { lon = p.Lon, lat = p.Lat } })).ToArray();
        for (int node = 0; node < places.Length; node++)
        {
            indexes.Add(node, payloads[node]);
        }

        indexes.Add(places.Length, Payload.FromObject(new { at = new { lon = 500, lat = 0 } })); // not a valid point: not indexed
        Assert.Equal(places.Length, indexes.Find("at")!.Points);

        GeoCondition[] regions =
        [
            new GeoRadiusCondition("at", new GeoPoint(13.405, 52.52), 30_000), // Berlin and Potsdam (~27 km)
            new GeoRadiusCondition("at", new GeoPoint(13.405, 52.52), 20_000),
            new GeoBoundingBoxCondition("at", new GeoPoint(170, 0), new GeoPoint(-170, -30)), // across the antimeridian: Fiji and Samoa
            new GeoPolygonCondition("at", [new(0, 45), new(20, 45), new(20, 56), new(0, 56), new(0, 45)], [[new(12, 52), new(14, 52), new(14, 53), new(12, 53), new(12, 52)]]),
        ];
        string[][] expected = [["Berlin", "Potsdam"], ["Berlin"], ["Fiji", "Samoa"], ["Paris"]];
        for (int r = 0; r < regions.Length; r++)
        {
            var predicate = indexes.Find("at")!.TryCompile(regions[r])!;
            var fromIndex = Enumerable.Range(0, places.Length).Where(predicate.Matches).Select(n => places[n].Name).ToArray();
            var fromPayload = Enumerable.Range(0, places.Length).Where(n => regions[r].Matches((ulong)n, payloads[n])).Select(n => places[n].Name).ToArray();
            Assert.Equal(expected[r], fromIndex);
            Assert.Equal(expected[r], fromPayload);
            Assert.Equal(expected[r].Length, predicate.Count);
        }

        Assert.InRange(new GeoPoint(2.3522, 48.8566).DistanceTo(new GeoPoint(37.6173, 55.7558)), 2_480_000, 2_490_000); // Paris–Moscow ≈ 2,486 km
    }
}
