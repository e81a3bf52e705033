namespace VectorDb.Examples;

/// <summary>
/// Adaptive-dimension search on a Matryoshka-style embedding: the graph walk compares a prefix, the shortlist is
/// rescored with whole vectors; or name a target recall and let the collection calibrate the prefix.
/// </summary>
public static class AdaptiveSearchExample
{
    public static async Task<int> RunAsync(TextWriter output)
    {
        using var db = VectorDatabase.InMemory();
        var collection = db.CreateCollection("mrl", new CollectionOptions { Dimensions = 64, Distance = DistanceMetric.Cosine, Matryoshka = [16, 32, 64] });

        // Leading dimensions carry most of the signal, as in Matryoshka-trained models.
        var random = new Random(3);
        float[] Embedding() => [.. Enumerable.Range(0, 64).Select(d => (float)(random.NextDouble() - 0.5) / (1 + d / 8f))];
        await collection.UpsertAsync(Enumerable.Range(1, 3_000).Select(i => new Point((ulong)i, Embedding())));

        var query = Embedding();
        var exact = collection.Search(query, 10, new SearchOptions { Exact = true }).Select(h => h.Id).ToHashSet();
        var adaptive = collection.Search(query, 10, new SearchOptions { Adaptive = new AdaptiveSearch { SearchDimensions = 16, Oversampling = 8 }, Explain = true });
        int found = adaptive.Count(h => exact.Contains(h.Id));
        await output.WriteLineAsync($"walk on 16 of 64 dims, rescored: {found}/10 of the exact top 10 ({adaptive.Explain!.Reason})");

        var targeted = collection.Search(query, 10, new SearchOptions { Adaptive = new AdaptiveSearch { TargetRecall = 0.95 }, Explain = true });
        await output.WriteLineAsync($"target recall 0.95: {targeted.Count(h => exact.Contains(h.Id))}/10 ({targeted.Explain!.Reason})");
        return found >= 8 ? 0 : 1;
    }
}
