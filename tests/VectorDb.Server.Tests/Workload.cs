using System.Text.Json;

namespace VectorDb.Server.Tests;

/// <summary>What the process-level tests share: checked calls, checkable vectors, recall through the API.</summary>
internal static class Workload
{
    /// <summary>Sends a request and fails the test unless it answers 200.</summary>
    public static async Task<JsonElement> Expect(HttpClient http, HttpMethod method, string path, object? body = null)
    {
        var (status, json) = await http.SendAsync(method, path, body);
        Assert.True(status == 200, $"{method} {path} answered {status}: {json}");
        return json;
    }

    /// <summary>The vector a point gets for a version: deterministic, so any reader can check it exactly.</summary>
    public static float[] VectorOf(ulong id, int version, int dimensions)
    {
        var random = new Random(HashCode.Combine(id, version));
        return [.. Enumerable.Range(0, dimensions).Select(_ => (float)random.NextDouble())];
    }

    /// <summary>Mean recall@10 of graph search (ef 64) against exact search over <paramref name="queries"/>.</summary>
    public static async Task<double> RecallAsync(HttpClient http, string collection, IReadOnlyList<float[]> queries)
    {
        double total = 0;
        foreach (var query in queries)
        {
            var exact = await Ids(new { vector = query, limit = 10, @params = new { exact = true } });
            var graph = await Ids(new { vector = query, limit = 10, @params = new { hnsw_ef = 64 } });
            total += exact.Count == 0 ? 1 : exact.Intersect(graph).Count() / (double)exact.Count;
        }

        return total / queries.Count;

        async Task<List<ulong>> Ids(object body) =>
            [.. (await Expect(http, HttpMethod.Post, $"/collections/{collection}/points/search", body)).GetProperty("result").EnumerateArray().Select(h => h.GetProperty("id").GetUInt64())];
    }
}
