namespace VectorDb.Examples;

/// <summary>Open a database, create a collection, upsert points with payloads, search, read, delete.</summary>
public static class QuickStart
{
    public static async Task<int> RunAsync(TextWriter output)
    {
        string path = Examples.TempDirectory("quickstart");
        try
        {
            // One VectorDatabase per directory and process; disposing it takes a final checkpoint.
            await using var db = await VectorDatabase.OpenAsync(path);
            var docs = await db.CreateCollectionAsync("docs", new CollectionOptions { Dimensions = 4, Distance = DistanceMetric.Cosine });

            // Returns once the write is durable: it survives a crash from here on.
            await docs.UpsertAsync(
            [
                new Point(1, [0.05f, 0.61f, 0.76f, 0.74f], Payload.FromObject(new { city = "Berlin", stars = 4 })),
                new Point(2, [0.19f, 0.81f, 0.75f, 0.11f], Payload.FromObject(new { city = "London", stars = 5 })),
                new Point(3, [0.36f, 0.55f, 0.47f, 0.94f], Payload.FromObject(new { city = "Moscow", stars = 3 })),
            ]);

            var hits = docs.Search([0.2f, 0.1f, 0.9f, 0.7f], k: 2, new SearchOptions { WithPayload = true });
            foreach (var hit in hits)
            {
                await output.WriteLineAsync($"hit {hit.Id} score {hit.Score:F3} {hit.Payload}");
            }

            var london = docs.Get(2)!;
            await output.WriteLineAsync($"point 2 is in {london.Payload!.Root.GetProperty("city").GetString()}");

            await docs.DeleteAsync([3]);
            await output.WriteLineAsync($"{docs.Count()} points left");
            return hits.Count == 2 && docs.Count() == 2 ? 0 : 1;
        }
        finally
        {
            Directory.Delete(path, recursive: true);
        }
    }
}
