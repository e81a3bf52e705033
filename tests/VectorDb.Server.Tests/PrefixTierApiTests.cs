using VectorDb.Tests;

namespace VectorDb.Server.Tests;

/// <summary>The <c>prefix_tier</c> option over REST, on a server whose vectors can live on disk (a data directory).</summary>
public sealed class PrefixTierApiTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task A_prefix_tier_is_created_walked_explained_and_reported()
    {
        await using var server = await ServerProcess.StartAsync("--data-dir", _directory.Path);
        using var client = server.CreateClient();
        var (status, body) = await client.SendAsync(HttpMethod.Put, "/collections/tier",
            """{"vectors": {"size": 8, "distance": "Euclid", "on_disk": true}, "matryoshka": [4, 8], "prefix_tier": {"dims": 4, "oversampling": 8}}""");
        Assert.True(status == 200, body.ToString());
        var points = Enumerable.Range(0, 50).Select(i => new { id = i, vector = new float[] { i, i % 7, i % 3, 1, 0.1f * i, 0, 0, 0 } }).ToArray();
        Assert.Equal(200, (await client.SendAsync(HttpMethod.Put, "/collections/tier/points?wait=true", new { points })).Status);

        (status, body) = await client.SendAsync(HttpMethod.Post, "/collections/tier/points/query", """{"query": [7, 0, 1, 1, 0.7, 0, 0, 0], "limit": 3, "params": {"explain": true}}""");
        Assert.True(status == 200, body.ToString());
        var result = body.GetProperty("result");
        Assert.Equal(7, result.GetProperty("points")[0].GetProperty("id").GetInt32());
        var search = result.GetProperty("explain").GetProperty("search");
        Assert.Equal(4, search.GetProperty("search_dims").GetInt32());
        Assert.Contains("prefix tier (walk 4 dimensions kept in RAM", search.GetProperty("reason").GetString(), StringComparison.Ordinal);

        (status, body) = await client.SendAsync(HttpMethod.Get, "/collections/tier/adaptive");
        Assert.True(status == 200, body.ToString());
        var adaptive = body.GetProperty("result");
        Assert.Equal(4, adaptive.GetProperty("prefix_tier").GetProperty("dims").GetInt32());
        Assert.Equal(8, adaptive.GetProperty("prefix_tier").GetProperty("oversampling").GetInt32());
        var memory = adaptive.GetProperty("memory");
        Assert.True(memory.GetProperty("prefix_bytes").GetInt64() > 0);
        Assert.Equal(50 * sizeof(ulong), memory.GetProperty("row_bytes").GetInt64()); // checksums: the rows are on disk
        Assert.True(memory.GetProperty("disk_bytes").GetInt64() >= 50 * 8 * sizeof(float));

        (string Request, string Named)[] refused =
        [
            ("""{"vectors": {"size": 8, "distance": "Euclid"}, "matryoshka": [4, 8], "prefix_tier": {"dims": 4}}""", "on_disk"),
            ("""{"vectors": {"size": 8, "distance": "Euclid", "on_disk": true}, "matryoshka": [4, 8], "prefix_tier": {"dims": 2}}""", "prefix_tier.dims"),
            ("""{"vectors": {"size": 8, "distance": "Euclid", "on_disk": true}, "prefix_tier": {"dims": 4, "bogus": 1}}""", "bogus"),
            ("""{"vectors": {"size": 8, "distance": "Euclid", "on_disk": true, "prefix_tier": {"dims": 4}}}""", "top-level `prefix_tier`"),
            ("""{"vectors": {"size": 8, "distance": "Euclid", "on_disk": true}, "prefix_tier": {"dims": 4}, "quantization_config": {"scalar": {"type": "int8"}}}""", "quantization_config"),
        ];
        foreach (var (request, named) in refused)
        {
            (status, body) = await client.SendAsync(HttpMethod.Put, "/collections/refused", request);
            Assert.True(status == 400, $"{request}: {body}");
            Assert.Contains(named, body.GetProperty("status").GetProperty("error").GetString(), StringComparison.Ordinal);
        }

        (status, body) = await client.SendAsync(HttpMethod.Post, "/collections/tier/points/query", """{"query": [7, 0, 1, 1, 0.7, 0, 0, 0], "params": {"adaptive": {"search_dims": 8}}}""");
        Assert.True(status == 200, body.ToString()); // the whole vector, read from disk
        (status, _) = await client.SendAsync(HttpMethod.Patch, "/collections/tier", """{"quantization_config": {"scalar": {"type": "int8"}}}""");
        Assert.Equal(400, status);
    }
}
