using System.Text.Json;

namespace VectorDb.Server.Tests;

/// <summary><c>POST …/points/batch</c>: operations applied in order, checked first, stopping at the first that fails.</summary>
public sealed class BatchUpdateApiTests(ServerFactory factory) : IClassFixture<ServerFactory>
{
    private readonly HttpClient _client = factory.CreateClient();

    private static string Error(JsonElement body) => body.GetProperty("status").GetProperty("error").GetString()!;

    private async Task CreateAsync(string name)
    {
        await _client.SendAsync(HttpMethod.Delete, $"/collections/{name}");
        var (status, body) = await _client.SendAsync(HttpMethod.Put, $"/collections/{name}", """{"vectors": {"size": 2, "distance": "Dot"}, "sparse_vectors": {"words": {}}}""");
        Assert.True(status == 200, body.ToString());
    }

    private async Task<List<JsonElement>> PointsAsync(string name)
    {
        var (_, body) = await _client.SendAsync(HttpMethod.Post, $"/collections/{name}/points/scroll", """{"limit": 100, "with_vector": true}""");
        return [.. body.GetProperty("result").GetProperty("points").EnumerateArray()];
    }

    [Fact]
    public async Task Operations_apply_in_order()
    {
        await CreateAsync("batch-order");
        var (status, body) = await _client.SendAsync(HttpMethod.Post, "/collections/batch-order/points/batch?wait=true", """
            {"operations": [
              {"upsert": {"points": [{"id": 1, "vector": [1, 0], "payload": {"a": 1}}, {"id": 2, "vector": [0, 1], "payload": {"a": 2}}, {"id": 3, "vector": [1, 1]}]}},
              {"upsert": {"batch": {"ids": [4], "vectors": [[2, 2]]}}},
              {"set_payload": {"payload": {"b": true}, "filter": {"must": [{"key": "a", "match": {"value": 2}}]}}},
              {"overwrite_payload": {"payload": {"c": 3}, "points": [1]}},
              {"delete_payload": {"keys": ["b"], "points": [2]}},
              {"clear_payload": {"points": [3]}},
              {"update_vectors": {"points": [{"id": 3, "vector": {"words": {"indices": [5], "values": [1]}}}]}},
              {"delete_vectors": {"points": [3], "vector": ["words"]}},
              {"delete": {"points": [4]}}
            ]}
            """);
        Assert.True(status == 200, body.ToString());
        Assert.Equal(9, body.GetProperty("result").GetArrayLength());
        Assert.All(body.GetProperty("result").EnumerateArray(), r => Assert.Equal("completed", r.GetProperty("status").GetString()));

        var points = await PointsAsync("batch-order");
        Assert.Equal([1, 2, 3], points.Select(p => p.GetProperty("id").GetInt32()));
        Assert.Equal("""{"c":3}""", points[0].GetProperty("payload").GetRawText());
        Assert.Equal("""{"a":2}""", points[1].GetProperty("payload").GetRawText());
        Assert.Equal("{}", points[2].GetProperty("payload").GetRawText());
        Assert.False(points[2].GetProperty("vector").TryGetProperty("words", out _));
    }

    [Fact]
    public async Task Set_payload_with_a_key_sets_inside_a_nested_object()
    {
        await CreateAsync("batch-key");
        await _client.SendAsync(HttpMethod.Put, "/collections/batch-key/points?wait=true", """{"points": [{"id": 1, "vector": [1, 0], "payload": {"meta": {"a": 1}}}]}""");
        var (status, body) = await _client.SendAsync(HttpMethod.Post, "/collections/batch-key/points/payload?wait=true", """{"payload": {"b": 2}, "points": [1], "key": "meta.inner"}""");
        Assert.True(status == 200, body.ToString());
        Assert.Equal("""{"meta":{"a":1,"inner":{"b":2}}}""", (await PointsAsync("batch-key"))[0].GetProperty("payload").GetRawText());
        (status, body) = await _client.SendAsync(HttpMethod.Post, "/collections/batch-key/points/payload", """{"payload": {"b": 2}, "points": [1], "key": "meta[0]"}""");
        Assert.Equal(400, status);
        Assert.Contains("key", Error(body), StringComparison.Ordinal);
        (status, _) = await _client.SendAsync(HttpMethod.Put, "/collections/batch-key/points/payload", """{"payload": {"b": 2}, "points": [1], "key": "meta"}""");
        Assert.Equal(400, status);
    }

    [Fact]
    public async Task A_malformed_operation_refuses_the_batch_before_any_is_applied()
    {
        await CreateAsync("batch-checked");
        var (status, body) = await _client.SendAsync(HttpMethod.Post, "/collections/batch-checked/points/batch?wait=true", """
            {"operations": [{"upsert": {"points": [{"id": 1, "vector": [1, 0]}]}}, {"set_payload": {"payload": {"b": 1}}}]}
            """);
        Assert.Equal(400, status);
        Assert.Contains("operations[1].set_payload", Error(body), StringComparison.Ordinal);
        Assert.Empty(await PointsAsync("batch-checked"));

        foreach (string bad in new[]
        {
            """{"operations": [{"upsert": {"points": []}, "delete": {"points": [1]}}]}""",
            """{"operations": [{}]}""",
            """{"operations": [{"upsert": {"points": [{"id": 1, "vector": [1, 0]}], "shard_key": "a"}}]}""",
            """{"operations": [{"replace": {}}]}""",
        })
        {
            (status, body) = await _client.SendAsync(HttpMethod.Post, "/collections/batch-checked/points/batch", bad);
            Assert.True(status == 400, bad);
            Assert.Contains("operations[0]", Error(body), StringComparison.Ordinal);
        }

        Assert.Empty(await PointsAsync("batch-checked"));
    }

    [Fact]
    public async Task An_operation_that_fails_when_applied_stops_the_batch_with_the_earlier_ones_applied()
    {
        await CreateAsync("batch-stops");
        var (status, body) = await _client.SendAsync(HttpMethod.Post, "/collections/batch-stops/points/batch?wait=true", """
            {"operations": [
              {"upsert": {"points": [{"id": 1, "vector": [1, 0]}]}},
              {"delete_vectors": {"points": [1], "vector": ["nope"]}},
              {"upsert": {"points": [{"id": 2, "vector": [0, 1]}]}}
            ]}
            """);
        Assert.Equal(400, status);
        Assert.Contains("operations[1].delete_vectors", Error(body), StringComparison.Ordinal);
        Assert.Equal([1], (await PointsAsync("batch-stops")).Select(p => p.GetProperty("id").GetInt32()));
    }

    [Fact]
    public async Task A_vector_update_naming_an_unknown_vector_refuses_the_batch_before_any_is_applied()
    {
        await CreateAsync("batch-names");
        var (status, body) = await _client.SendAsync(HttpMethod.Post, "/collections/batch-names/points/batch?wait=true", """
            {"operations": [
              {"upsert": {"points": [{"id": 1, "vector": [1, 0]}]}},
              {"update_vectors": {"points": [{"id": 1, "vector": {"nope": [1, 2]}}]}},
              {"upsert": {"points": [{"id": 2, "vector": [0, 1]}]}}
            ]}
            """);
        Assert.Equal(400, status);
        Assert.Contains("operations[1].update_vectors", Error(body), StringComparison.Ordinal);
        Assert.Empty(await PointsAsync("batch-names"));
    }
}
