using System.Text.Json;

namespace VectorDb.Server.Tests;

/// <summary>PATCH of collection settings, and strict mode enforced on every kind of request.</summary>
public sealed class StrictModeApiTests(ServerFactory factory) : IClassFixture<ServerFactory>
{
    private readonly HttpClient _client = factory.CreateClient();

    private static string Error(JsonElement body) => body.GetProperty("status").GetProperty("error").GetString()!;

    private async Task CreateAsync(string name, string strict = "null")
    {
        await _client.SendAsync(HttpMethod.Delete, $"/collections/{name}");
        var (status, body) = await _client.SendAsync(HttpMethod.Put, $"/collections/{name}", $$"""{"vectors": {"size": 2, "distance": "Dot"}, "strict_mode_config": {{strict}}}""");
        Assert.True(status == 200, body.ToString());
        (status, body) = await _client.SendAsync(HttpMethod.Put, $"/collections/{name}/points?wait=true", """
            {"points": [{"id": 1, "vector": [1, 0], "payload": {"city": "Oslo", "n": 1}}, {"id": 2, "vector": [0, 1], "payload": {"city": "Rome", "n": 2}}]}
            """);
        Assert.True(status == 200, body.ToString());
    }

    [Fact]
    public async Task Patch_changes_ef_construct_metadata_and_strict_mode_and_refuses_the_rest()
    {
        await CreateAsync("patch");
        var (status, body) = await _client.SendAsync(HttpMethod.Patch, "/collections/patch", """
            {"hnsw_config": {"ef_construct": 64, "m": 16}, "metadata": {"owner": "search", "team": "ir"}, "strict_mode_config": {"enabled": true, "max_query_limit": 5}}
            """);
        Assert.True(status == 200, body.ToString());
        (status, _) = await _client.SendAsync(HttpMethod.Patch, "/collections/patch", """{"metadata": {"team": null, "since": 2026}}""");
        Assert.Equal(200, status);
        (_, body) = await _client.SendAsync(HttpMethod.Get, "/collections/patch");
        var config = body.GetProperty("result").GetProperty("config");
        Assert.Equal(64, config.GetProperty("hnsw_config").GetProperty("ef_construct").GetInt32());
        Assert.Equal("""{"owner":"search","since":2026}""", config.GetProperty("metadata").GetRawText());
        Assert.True(config.GetProperty("strict_mode_config").GetProperty("enabled").GetBoolean());
        Assert.Equal(5, config.GetProperty("strict_mode_config").GetProperty("max_query_limit").GetInt32());

        (status, body) = await _client.SendAsync(HttpMethod.Patch, "/collections/patch", """{"hnsw_config": {"m": 32}}""");
        Assert.Equal(400, status);
        Assert.Contains("`hnsw_config.m` can be lowered", Error(body), StringComparison.Ordinal);
        (status, body) = await _client.SendAsync(HttpMethod.Patch, "/collections/patch", """{"hnsw_config": {"m": 8}}""");
        Assert.True(status == 200, body.ToString());
        (_, body) = await _client.SendAsync(HttpMethod.Get, "/collections/patch");
        Assert.Equal(8, body.GetProperty("result").GetProperty("config").GetProperty("hnsw_config").GetProperty("m").GetInt32());
        (status, _) = await _client.SendAsync(HttpMethod.Put, "/collections/patch/points?wait=true", """{"points": [{"id": 3, "vector": [1, 1]}]}""");
        Assert.Equal(200, status);

        // full_scan_threshold (KB): three points of 2 float32s are within 1 KB, so the search scans them exactly.
        (status, body) = await _client.SendAsync(HttpMethod.Patch, "/collections/patch", """{"hnsw_config": {"full_scan_threshold": 1}}""");
        Assert.True(status == 200, body.ToString());
        (_, body) = await _client.SendAsync(HttpMethod.Post, "/collections/patch/points/query", """{"query": [1, 0], "limit": 2, "params": {"explain": true}}""");
        Assert.Contains("full_scan_threshold", body.GetProperty("result").GetProperty("explain").GetProperty("search").GetProperty("reason").GetString(), StringComparison.Ordinal);
        (_, body) = await _client.SendAsync(HttpMethod.Get, "/collections/patch");
        Assert.Equal(1, body.GetProperty("result").GetProperty("config").GetProperty("hnsw_config").GetProperty("full_scan_threshold").GetInt32());
        await _client.SendAsync(HttpMethod.Delete, "/collections/patch-named");
        (status, body) = await _client.SendAsync(HttpMethod.Put, "/collections/patch-named", """{"vectors": {"a": {"size": 2, "distance": "Dot", "hnsw_config": {"full_scan_threshold": 5}}}}""");
        Assert.Equal(400, status);
        Assert.Contains("vectors.a.hnsw_config.full_scan_threshold", Error(body), StringComparison.Ordinal);
        (status, body) = await _client.SendAsync(HttpMethod.Patch, "/collections/patch", """{"optimizers_config": {"deleted_threshold": 0.1}}""");
        Assert.Equal(400, status);
        (status, body) = await _client.SendAsync(HttpMethod.Patch, "/collections/patch", """{"strict_mode_config": {"max_query_limit": 0}}""");
        Assert.Equal(400, status);
        Assert.Contains("max_query_limit", Error(body), StringComparison.Ordinal);
        (status, body) = await _client.SendAsync(HttpMethod.Patch, "/collections/patch", """{"hnsw_config": {"ef_construct": 1}}""");
        Assert.Equal(400, status);
        (status, body) = await _client.SendAsync(HttpMethod.Patch, "/collections/patch", """{"strict_mode_config": {"sparse_config": {"nope": {"max_length": 3}}}}""");
        Assert.Equal(400, status);
        Assert.Contains("nope", Error(body), StringComparison.Ordinal);
        (status, body) = await _client.SendAsync(HttpMethod.Patch, "/collections/patch", """{"strict_mode_config": {"sparse_config": {"nope": {"max_lenght": 3}}}}""");
        Assert.Equal(400, status);
        Assert.Contains("max_lenght", Error(body), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Strict_mode_refuses_requests_over_its_limits_with_403()
    {
        await CreateAsync("strict", """
            {"enabled": true, "max_query_limit": 3, "search_max_hnsw_ef": 50, "search_allow_exact": false, "unindexed_filtering_retrieve": false,
             "unindexed_filtering_update": false, "upsert_max_batchsize": 2, "search_max_batchsize": 2, "max_points_count": 3, "filter_max_conditions": 2,
             "condition_max_size": 3, "max_timeout": 5, "max_payload_index_count": 1}
            """);
        var refused = new (HttpMethod Method, string Path, string Body, string Expected)[]
        {
            (HttpMethod.Post, "/collections/strict/points/query", """{"query": [1, 0], "limit": 4}""", "limit"),
            (HttpMethod.Post, "/collections/strict/points/query", """{"query": [1, 0], "limit": 2, "offset": 2}""", "limit"),
            (HttpMethod.Post, "/collections/strict/points/query", """{"prefetch": {"query": [1, 0], "limit": 10}, "query": {"fusion": "rrf"}, "limit": 2}""", "limit"),
            (HttpMethod.Post, "/collections/strict/points/search", """{"vector": [1, 0], "limit": 2, "params": {"hnsw_ef": 64}}""", "hnsw_ef"),
            (HttpMethod.Post, "/collections/strict/points/query", """{"query": [1, 0], "params": {"exact": true}, "limit": 2}""", "Exact search disabled"),
            (HttpMethod.Post, "/collections/strict/points/query", """{"query": [1, 0], "limit": 2, "filter": {"must": [{"key": "city", "match": {"value": "Oslo"}}]}}""", "Index required but not found for \"city\""),
            (HttpMethod.Post, "/collections/strict/points/count", """{"filter": {"must": [{"key": "city", "match": {"value": "Oslo"}}]}}""", "city"),
            (HttpMethod.Post, "/collections/strict/points/delete", """{"filter": {"must": [{"key": "city", "match": {"value": "Oslo"}}]}}""", "unindexed_filtering_update"),
            (HttpMethod.Put, "/collections/strict/points", """{"points": [{"id": 5, "vector": [1, 1]}, {"id": 6, "vector": [1, 1]}, {"id": 7, "vector": [1, 1]}]}""", "upsert_max_batchsize"),
            (HttpMethod.Put, "/collections/strict/points", """{"points": [{"id": 5, "vector": [1, 1]}, {"id": 6, "vector": [1, 1]}]}""", "max_points_count"),
            (HttpMethod.Post, "/collections/strict/points/query/batch", """{"searches": [{"query": [1, 0], "limit": 1}, {"query": [1, 0], "limit": 1}, {"query": [1, 0], "limit": 1}]}""", "search_max_batchsize"),
            (HttpMethod.Post, "/collections/strict/points/scroll", """{"limit": 10}""", "limit"),
            (HttpMethod.Post, "/collections/strict/points/query?timeout=10", """{"query": [1, 0], "limit": 1}""", "timeout"),
            (HttpMethod.Post, "/collections/strict/points/query", """{"query": [1, 0], "limit": 1, "filter": {"must": [{"has_id": [1, 2, 3, 4]}]}}""", "Condition size limit"),
            (HttpMethod.Post, "/collections/strict/points/query", """{"query": [1, 0], "limit": 1, "filter": {"must": [{"has_id": [1]}, {"has_id": [2]}, {"has_id": [3]}]}}""", "Filter condition limit"),
            (HttpMethod.Post, "/collections/strict/points/batch", """{"operations": [{"upsert": {"points": [{"id": 5, "vector": [1, 1]}, {"id": 6, "vector": [1, 1]}]}}]}""", "max_points_count"),
        };
        foreach (var (method, path, body, expected) in refused)
        {
            var (status, response) = await _client.SendAsync(method, path, body);
            Assert.True(status == 403, $"{path} {body}: {status} {response}");
            Assert.Contains(expected, Error(response), StringComparison.Ordinal);
        }

        (var ok, _) = await _client.SendAsync(HttpMethod.Put, "/collections/strict/index?wait=true", """{"field_name": "city", "field_schema": "keyword"}""");
        Assert.Equal(200, ok);
        (ok, _) = await _client.SendAsync(HttpMethod.Post, "/collections/strict/points/query", """{"query": [1, 0], "limit": 3, "filter": {"must": [{"key": "city", "match": {"value": "Oslo"}}]}}""");
        Assert.Equal(200, ok);
        (ok, var refusedIndex) = await _client.SendAsync(HttpMethod.Put, "/collections/strict/index?wait=true", """{"field_name": "n", "field_schema": "integer"}""");
        Assert.Equal(403, ok);
        Assert.Contains("max_payload_index_count", Error(refusedIndex), StringComparison.Ordinal);
        (ok, _) = await _client.SendAsync(HttpMethod.Put, "/collections/strict/points?wait=true", """{"points": [{"id": 1, "vector": [1, 1]}, {"id": 3, "vector": [1, 1]}]}""");
        Assert.Equal(200, ok); // replacing point 1 and adding point 3 stays within 3 points

        // Payload storage: over its limit, upserts and payload updates are refused, deletes still pass.
        (ok, _) = await _client.SendAsync(HttpMethod.Patch, "/collections/strict", """{"strict_mode_config": {"max_collection_payload_size_bytes": 10}}""");
        Assert.Equal(200, ok);
        (ok, var over) = await _client.SendAsync(HttpMethod.Post, "/collections/strict/points/payload", """{"payload": {"x": 1}, "points": [1]}""");
        Assert.Equal(403, ok);
        Assert.Contains("max_collection_payload_size_bytes", Error(over), StringComparison.Ordinal);
        (ok, _) = await _client.SendAsync(HttpMethod.Post, "/collections/strict/points/payload/clear?wait=true", """{"points": [2]}""");
        Assert.Equal(200, ok);

        // Turned off, the limits no longer apply.
        (ok, _) = await _client.SendAsync(HttpMethod.Patch, "/collections/strict", """{"strict_mode_config": {"enabled": false}}""");
        Assert.Equal(200, ok);
        (ok, _) = await _client.SendAsync(HttpMethod.Post, "/collections/strict/points/query", """{"query": [1, 0], "limit": 4}""");
        Assert.Equal(200, ok);
    }

    [Fact]
    public async Task Rate_limits_answer_429_once_a_minutes_requests_are_spent()
    {
        await CreateAsync("rated", """{"enabled": true, "read_rate_limit": 3, "write_rate_limit": 2}""");
        for (int i = 0; i < 3; i++)
        {
            var (status, _) = await _client.SendAsync(HttpMethod.Post, "/collections/rated/points/query", """{"query": [1, 0]}""");
            Assert.Equal(200, status);
        }

        var (limited, body) = await _client.SendAsync(HttpMethod.Post, "/collections/rated/points/query", """{"query": [1, 0]}""");
        Assert.Equal(429, limited);
        Assert.Contains("read_rate_limit", Error(body), StringComparison.Ordinal);
        (limited, _) = await _client.SendAsync(HttpMethod.Put, "/collections/rated/points", """{"points": [{"id": 8, "vector": [1, 1]}]}""");
        Assert.Equal(429, limited); // the two points of the set-up took the minute's writes
        (limited, body) = await _client.SendAsync(HttpMethod.Put, "/collections/rated/points", """{"points": [{"id": 8, "vector": [1, 1]}, {"id": 9, "vector": [1, 1]}, {"id": 10, "vector": [1, 1]}]}""");
        Assert.Equal(403, limited); // more than a minute's writes at once can never pass
        Assert.Contains("write_rate_limit", Error(body), StringComparison.Ordinal);
    }
}
