using VectorDb.Query;

namespace VectorDb.Examples;

/// <summary>Filters in Qdrant's model, payload indexes that make them fast, and the planner's explanation.</summary>
public static class FilteredSearch
{
    public static async Task<int> RunAsync(TextWriter output)
    {
        using var db = VectorDatabase.InMemory();
        var products = db.CreateCollection("products", new CollectionOptions { Dimensions = 8, Distance = DistanceMetric.Euclid });
        var random = new Random(1);
        string[] colors = ["red", "green", "blue", "black"];
        await products.UpsertAsync(Enumerable.Range(1, 2_000).Select(i => new Point(
            (ulong)i,
            [.. Enumerable.Range(0, 8).Select(_ => (float)random.NextDouble())],
            Payload.FromObject(new { color = colors[i % 4], price = i % 100, tags = i % 10 == 0 ? new[] { "sale" } : [] }))));

        // Indexes: a keyword index per color value, a range index on price.
        await products.CreatePayloadIndexAsync("color", PayloadSchemaType.Keyword);
        await products.CreatePayloadIndexAsync("price", PayloadSchemaType.Integer);

        var filter = new Filter(
            Must: [Conditions.Match("color", "blue"), Conditions.Range("price", lt: 20)],
            MustNot: [Conditions.Match("tags", "sale")]);
        var hits = products.Search([.. Enumerable.Repeat(0.5f, 8)], k: 5, new SearchOptions { Filter = filter, WithPayload = true, Explain = true });
        foreach (var hit in hits)
        {
            await output.WriteLineAsync($"hit {hit.Id} {hit.Payload}");
        }

        await output.WriteLineAsync($"plan: {hits.Explain!.Strategy} ({hits.Explain.Reason})");
        await output.WriteLineAsync($"matching points: {products.Count(filter)}");
        bool allMatch = hits.All(h => h.Payload!.Root.GetProperty("color").GetString() == "blue" && h.Payload.Root.GetProperty("price").GetInt32() < 20);
        return hits.Count == 5 && allMatch ? 0 : 1;
    }
}
